"""Oncology treatment history from a patient description: what general oncology eligibility criteria ask about.

Patient side (``extract_oncology``, run at the end of ``extract_patient``):
  * the setting of each anticancer drug: early (neoadjuvant / adjuvant / perioperative / definitive, or given
    before a described recurrence) vs advanced (metastatic lines); "no treatment yet for metastatic disease";
  * when a drug was last given, per clause ("last dose 4 weeks ago", "completed March 2023" against the latest
    date in the note);
  * the number of prior lines for advanced disease (explicit "Line 2:", "2L", "(1) ... (2)", "first-line ...;
    then ...", or counted regimens, maintenance not counted as a new line);
  * the disease-free interval between early-setting therapy and recurrence;
  * graded adverse events (CTCAE grade, immune-related, resolved or residual) and summaries ("toxicities
    <= grade 1", "no irAEs");
  * sized lesions (measurable per RECIST: >= 10 mm, nodes >= 15 mm short axis; brain lesions kept apart;
    irradiated or not);
  * platinum sensitivity (progression during platinum, interval after the last platinum dose);
  * life expectancy.
Every fact keeps the patient's words it came from.
"""

from __future__ import annotations

import re

from .lexicon import get_lexicon
from .patient import Fact, PatientDoc, PatientFacts, sentence_days_ago
from .text import NUM, TIME_UNIT, to_days

_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_DATE_RE = re.compile(r"\b(?:(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|"
                      r"nov(?:ember)?|dec(?:ember)?)\.?\s+)?((?:19[6-9]|20[0-4])\d)\b(?!\s*(?:mg|mm|iu|u/l|/))", re.I)
_AGO_RE = re.compile(rf"\b({NUM})\s*-?\s*({TIME_UNIT}|wk|mo)\.?\s+(?:ago|earlier|before|prior|previously|back)\b", re.I)
_EARLY = re.compile(r"\b(?:neo-?adjuvant|adjuvant|peri-?operative|post-?operative|pre-?operative|definitive|curative(?:[- ]intent)?|"
                    r"consolidation|(?:chemo)?radiation|chemo-?rt|cisplatin-rt)\b", re.I)
_ADVANCED = re.compile(r"\b(?:metastatic|advanced|palliative|r/m|recurrent/metastatic|(?:first|second|third|fourth|1st|2nd|3rd|4th)[- ]line|"
                       r"line\s*[1-9]|for (?:the )?(?:spread|metastases|metastatic disease|recurrence)|since (?:the )?(?:recurrence|relapse)|"
                       r"after (?:the )?(?:recurrence|relapse))\b|\b(?-i:[1-9]L)\b", re.I)
_RECUR = re.compile(r"\b(?:came back|come back|comes back|recur\w*|relaps\w*|metastatic (?:recurrence|relapse)|has (?:now )?spread|it'?s (?:now )?spread|"
                    r"spread to|now metastatic|became metastatic)\b", re.I)
_NEW_METS = re.compile(r"\bnow\b[^.;]{0,30}?\b(?:mets|metastas[ie]s|metastatic)\b", re.I)  # "now new lung and bone mets": the recurrence
_ANTICANCER = "anticancer_therapy"


def _date_index(m: re.Match, upper: bool) -> int:
    y = int(m.group(2))
    if m.group(1):
        return y * 12 + _MONTHS[m.group(1)[:3].lower()]
    return y * 12 + (12 if upper else 1)


def _is_anticancer(f: Fact) -> bool:
    return _ANTICANCER in f.value.get("classes", ()) or "radiotherapy" in f.value.get("classes", ())


def _clause_after(text: str, e: int, limit: int, stops: list[int]) -> str:
    end = min([limit] + [x for x in stops if x > e])
    seg = text[e:end]
    m = re.search(r";|\.\s|\bthen\b|\bfollowed by\b|\blater\b", seg, re.I)
    return seg[:m.start()] if m else seg


def _timing(doc: PatientDoc, pf: PatientFacts) -> None:
    """Per-drug time since last given: 'X ago' in the drug's own clause, or a date in it against the note's latest date."""
    text = doc.text
    dates = list(_DATE_RE.finditer(text))
    ref = max((_date_index(m, upper=False) for m in dates), default=None)
    starts = sorted({f.start for f in pf.drugs})
    boundary = re.compile(r";|\bthen\b|\bfollowed by\b|,\s*(?:then\s+)?(?:neo-?)?adjuvant\b|\.\s", re.I)
    for f in pf.drugs:
        if not _is_anticancer(f):
            continue
        si = doc.sentence_of_char(f.start)
        s0, e0 = doc.sentences[si]
        if re.match(rf"\W{{0,3}}(?:[\w-]+\s+){{0,2}}?(?:{_AE_TERM})", text[f.end:f.end + 40], re.I) or \
                re.search(rf"(?:{_AE_TERM})\s+(?:\w+\s+)?(?:from|due to|related to|induced by|caused by|after|on)\s+$", text[max(s0, f.start - 50):f.start], re.I):
            f.detail["attribution"] = True  # "capecitabine hand-foot syndrome", "neuropathy from docetaxel": names the cause of a toxicity
            f.days_ago = None
            f.detail["current"] = False
            continue
        if f.days_ago is not None:
            am = _AGO_RE.search(text, s0, e0)
            if am and (am.start() > f.end and boundary.search(text[f.end:am.start()]) or am.end() < f.start and boundary.search(text[am.end():f.start])):
                f.days_ago = None  # the sentence's "... ago" belongs to another clause
        after = _clause_after(text, f.end, e0, [x for x in starts if x > f.end + 1])
        m = _AGO_RE.search(after)
        if m:
            unit = {"wk": "weeks", "mo": "months"}.get(m.group(2).lower(), m.group(2))
            d = to_days(m.group(1), unit)
            if d is not None:
                f.days_ago = d
                f.detail["timing"] = "clause"
                continue
        dm = _DATE_RE.search(after)
        if dm and ref is not None and not re.search(r"\bsince\b", after[:dm.start()], re.I):
            months = ref - _date_index(dm, upper=True)
            if months > 0 and (f.days_ago is None or f.detail.get("timing") is None):
                f.days_ago = max(f.days_ago or 0.0, months * 30.4)
                f.detail["timing"] = "date"
    _date_other_mentions(pf)
    # "last dose 5 weeks ago", "last Enhertu was about a month ago": nothing anticancer was given since
    m = None
    for mm in re.finditer(rf"\blast\s+(dose|treatment|cycle|infusion|therapy|chemo\w*|[\w-]+)\s+(?:of\s+[\w/+-]+\s+)?(?:was\s+|given\s+)?(?:about\s+|approximately\s+|around\s+|~)?({NUM})\s*({TIME_UNIT}|wk|mo)\.?\s+ago\b", text, re.I):
        w0, w1 = mm.start(1), mm.end(1)
        if re.fullmatch(r"dose|treatment|cycle|infusion|therapy|chemo\w*", mm.group(1), re.I) or any(
                f.start <= w0 < f.end and _is_anticancer(f) for f in pf.drugs):
            m = mm
            break
    g = re.search(rf"\blast\s+(?:systemic\s+|anti-?cancer\s+|cancer\s+)?(?:therapy|treatment|dose|cycle|infusion|chemo\w*)\b[^.;]{{0,20}}?(?:was\s+|given\s+)?(?:about\s+|approximately\s+|around\s+|~)?({NUM})\s*({TIME_UNIT}|wk|mo)\.?\s+ago\b|"
                  rf"\bno (?:systemic |anti-?cancer )?(?:therapy|treatment) (?:for|in) (?:the )?(?:last|past) ({NUM})\s*({TIME_UNIT})", text, re.I)
    if g:
        num, unit = (g.group(1), g.group(2)) if g.group(1) else (g.group(3), g.group(4))
        d = to_days(num, {"wk": "weeks", "mo": "months"}.get(unit.lower(), unit))
        if d is not None:
            pf.last_therapy = Fact("last_therapy", d, g.start(), g.end(), g.group(0))
    if m:
        unit = {"wk": "weeks", "mo": "months"}.get(m.group(3).lower(), m.group(3))
        d = to_days(m.group(2), unit)
        if d is not None:
            for f in pf.drugs:
                if _is_anticancer(f) and not f.detail.get("current") and f.start < m.end() + 200:
                    if f.days_ago is None or f.days_ago < d:
                        f.days_ago = d


def _date_other_mentions(pf: PatientFacts) -> None:
    """"Progressed on T-DXd ... last T-DXd 3 wk ago": a drug whose last dose is dated in its own clause is not current
    where another mention only says the disease progressed on it."""
    last: dict[str, float] = {}
    for f in pf.drugs:
        name = f.value.get("drug")
        if name and f.days_ago is not None and f.detail.get("timing") == "clause":
            last[name] = min(last.get(name, f.days_ago), f.days_ago)
    for f in pf.drugs:
        name = f.value.get("drug")
        if name in last and f.days_ago is None and f.detail.get("current") and f.detail.get("progressed"):
            f.detail["current"] = False
            f.days_ago = last[name]


def _therapy_setting(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    recur_si = None
    for si in range(len(doc.sentences)):
        if _RECUR.search(doc.sentence_text(si)):
            recur_si = si
            break
    prev: Fact | None = None
    for f in sorted([f for f in pf.drugs if _is_anticancer(f) and not f.detail.get("attribution")], key=lambda x: x.start):
        si = doc.sentence_of_char(f.start)
        s0, e0 = doc.sentences[si]
        sent = text[s0:e0]
        cstart = max(text.rfind(";", s0, f.start), text.rfind(". ", s0, f.start), s0 - 1) + 1
        before = text[cstart:f.start]
        # the part of the clause after the last comma / "then" that precedes the drug
        near = re.split(r",|\bthen\b|\bfollowed by\b|\blater\b", before, flags=re.I)[-1]
        setting = None
        if prev is not None and prev.detail.get("setting") and re.fullmatch(r"[\s+/&,-]*(?:and|plus|with|\+|/)?[\s+/&-]*(?:\w+[\s+/-]*)?", text[prev.end:f.start]) \
                and doc.sentence_of_char(prev.start) == si and f.start - prev.end <= 14:
            setting = prev.detail["setting"]  # same regimen: "adjuvant TCH + trastuzumab"
        elif _EARLY.search(near) and not _ADVANCED.search(near[_EARLY.search(near).end():]):
            setting = "early"
        elif re.search(r"\bafter\s+(?:(?:she|he|i|they|we)\s+)?(?:had\s+)?(?:finish\w*|complet\w*|stopp\w*|end(?:ed|ing)?)\b", before, re.I) and _RECUR.search(sent):
            setting = "early"
        elif re.match(r"[^.;]{0,25}?\b(?:after|before|following|around)\s+(?:(?:my|his|her|their|the)\s+)?(?:breast\s+)?(?:surgery|operation|mastectomy|lumpectomy|resection)\b",
                      text[f.end:f.end + 70], re.I):
            setting = "early"  # "I had Taxotere after my surgery": given around surgery, for early disease
        elif _ADVANCED.search(before) or (recur_si is not None and si > recur_si):
            setting = "advanced"
        elif recur_si is not None and si < recur_si and re.search(r"\b(?:surgery|mastectomy|lumpectomy|resect\w*|operation|operated|years? ago|diagnosed)\b", sent, re.I) \
                and not re.search(r"metasta|spread|stage iv|advanced|palliative|\bline\b", sent, re.I):
            setting = "early"
        elif re.search(r"\b(?:neo-?adjuvant|adjuvant)\b", text[f.end:f.end + 25], re.I) and not re.search(r"[;.]", text[f.end:f.end + 25].split("adjuvant")[0]):
            setting = "early"
        f.detail["setting"] = setting
        prev = f
    # components of a regimen share its setting
    for f in pf.drugs:
        if f.value.get("via") and f.detail.get("setting") is None:
            host = next((g for g in pf.drugs if g.start == f.start and not g.value.get("via")), None)
            if host is not None:
                f.detail["setting"] = host.detail.get("setting")
                if host.days_ago is not None:
                    f.days_ago = host.days_ago


_ADV_NAIVE = re.compile(
    r"\bno (?:systemic |anti-?cancer |further )?(?:therapy|treatment|chemo\w*)\s+(?:yet\s+)?(?:for|since|in)\s+(?:the\s+)?(?:metastatic|advanced|recurren\w*|relapse|spread|metastases)\b|"
    r"\bno (?:systemic |anti-?cancer )?(?:therapy|treatment) yet\b|"
    r"\bhas(?:n't| not)\s+(?:yet\s+)?(?:started|had|received|begun)\s+(?:any\s+)?(?:treatment|therapy|chemo\w*)(?:\s+for\s+(?:it|the spread|the recurrence|the relapse|this|the metastases|the metastatic disease))?(?:\s+yet)?\b|"
    r"\bnot (?:yet )?(?:started|begun) (?:any )?(?:treatment|therapy)\b|"
    r"\b(?:treatment|therapy)[- ]na[iï]ve (?:for|in the) (?:metastatic|advanced)|"
    r"\bno (?:prior )?(?:therapy|treatment) for (?:metastatic|advanced|recurrent) disease\b", re.I)


def _advanced_naive(doc: PatientDoc, pf: PatientFacts) -> None:
    m = _ADV_NAIVE.search(doc.text)
    if not m:
        return
    a = doc.assertion_chars(m.start(), m.end())
    if a.family or a.hypothetical:
        return
    pf.advanced_naive = Fact("advanced_naive", True, m.start(), m.end(), m.group(0))
    earlier = [f for f in pf.drugs if f.affirmed and _is_anticancer(f) and f.start < m.start()]
    treated_before = re.search(r"\b(?:finished|completed|after)\s+(?:her|his|my|the|their)?\s*(?:treatment|therapy|chemo\w*|surgery)\b|\bpreviously treated\b", doc.text, re.I)
    if not earlier and treated_before and _RECUR.search(doc.text) and pf.treatment_naive is not None:
        pf.treatment_naive = None  # treated for the primary, not yet for the recurrence
    if earlier:
        for f in earlier:
            if f.detail.get("setting") is None:
                f.detail["setting"] = "early"
        if pf.treatment_naive is not None:
            pf.treatment_naive = None  # treated before (early setting), not for the advanced disease


_LINE_MARK = re.compile(r"\b(?:line|L)\s*([1-9])\s*[:)\-]|\b(?-i:([1-9])L)\b|\b(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)[- ]line\b", re.I)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}


def _regimen_clauses(doc: PatientDoc, pf: PatientFacts, start: int = 0) -> list[tuple[set[str], int]]:
    """Advanced-setting regimens after `start`, split at then / followed by / later / ';' / new sentences;
    maintenance or continuation of drugs of the previous regimen is not a new one."""
    text = doc.text
    drugs = sorted([f for f in pf.drugs if f.affirmed and _is_anticancer(f) and not f.value.get("via") and f.start >= start
                    and f.detail.get("setting") != "early" and "radiotherapy" not in f.value["classes"]], key=lambda x: x.start)
    groups: list[tuple[set[str], int]] = []
    last_end = None
    for f in drugs:
        name = f.value.get("drug") or f.value.get("class")
        gap = text[last_end:f.start] if last_end is not None else ""
        new = last_end is None or bool(re.search(r";|\bthen\b|\bfollowed by\b|\blater\b|\bafter that\b|\bnext\b|\bswitched\b|\bwhen it came back\b|\bsecond\b|\.\s|"
                                                 r"\b(?:PD|progress\w*|progression)\b", gap, re.I))
        if new and groups and name in groups[-1][0] and not re.search(r"\bthen\b|\bfollowed by\b|\blater\b|\bafter that\b|\bnext\b|\bswitched\b|\bagain\b|\bre-?challeng", gap, re.I):
            new = False  # the same drug mentioned again ("...; last topotecan 3 wk ago")
        if new:
            groups.append(({name}, f.start))
        else:
            groups[-1][0].add(name)
        last_end = f.end
    out: list[tuple[set[str], int]] = []
    lex = get_lexicon()

    def norm(n: str) -> set[str]:
        return {n} | set(lex.components(n))
    for g, pos in groups:
        tail = text[pos:pos + 60]
        if out:
            prev = set().union(*(norm(x) for x in out[-1][0]))
            cur = set().union(*(norm(x) for x in g))
            if cur <= prev and re.search(r"maintenance|on (?:its|their) own|\balone\b|continued|continuation", tail, re.I):
                continue  # maintenance with drugs of the same regimen is not a new line
        out.append((g, pos))
    return out


def _lines(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    drug_starts = [f.start for f in pf.drugs if f.affirmed and _is_anticancer(f)]
    marks = []
    for m in _LINE_MARK.finditer(text):
        a = doc.assertion_chars(m.start(), m.end())
        if a.family or a.hypothetical:
            continue
        if not any(m.end() <= x <= m.end() + 60 for x in drug_starts):
            continue  # a line marker names a regimen
        if m.group(3):
            if re.search(r"\b(?:as|for)\s+(?:the\s+)?$", text[max(0, m.start() - 12):m.start()], re.I):
                continue  # "as first-line treatment": the setting asked about, not history
            marks.append((_ORD[m.group(3).lower()], m))
        else:
            marks.append((int(m.group(1) or m.group(2)), m))
    listed = 0
    nums_listed = False
    lm = re.search(r"\blines?(?: of (?:therapy|treatment))?\s*:\s*", text, re.I)
    if lm:
        tail = text[lm.end():lm.end() + 600]
        nums = [int(x) for x in re.findall(r"\((\d)\)", tail)]
        nums_listed = bool(nums)
        if nums:
            marks.append((max(nums), lm))
        else:
            seg = re.split(r"\.\s|\n", tail, maxsplit=1)[0]
            pos = lm.end()
            for it in re.split(r"(,|;|\bthen\b)", seg):
                if any(pos <= x < pos + len(it) for x in drug_starts):
                    listed += 1
                pos += len(it)
    if marks or listed:
        n = max([k for k, _ in marks] + [listed])
        last = max((m.end() for _, m in marks), default=0)
        after = _regimen_clauses(doc, pf, last) if marks and not nums_listed else []
        prev_end = last
        for g, pos in after[1:]:
            # "first-line X; then Y": Y is a further line
            if re.search(r"\bthen\b|\bfollowed by\b|\blater\b|\bswitched\b|\bnext\b", text[prev_end:pos], re.I):
                n += 1
            prev_end = pos
        m0 = marks[0][1] if marks else lm
        pf.lines = Fact("lines", (n, n), m0.start(), m0.end(), m0.group(0), detail={"source": "explicit"})
        return
    if pf.advanced_naive is not None:
        pf.lines = Fact("lines", (0, 0), pf.advanced_naive.start, pf.advanced_naive.end, pf.advanced_naive.text,
                        detail={"source": "naive"})
        return
    if pf.lines is not None and pf.lines.detail.get("source") == "regimens":
        regs = _regimen_clauses(doc, pf)
        if regs:
            # the regimens a description lists, in order, are its treatment history
            pf.lines = Fact("lines", (len(regs), len(regs)), pf.lines.start, pf.lines.end, pf.lines.text, detail={"source": "regimens"})
        elif all(f.detail.get("setting") == "early" for f in pf.drugs if f.affirmed and _is_anticancer(f) and "radiotherapy" not in f.value["classes"]):
            pf.lines = Fact("lines", (0, None), pf.lines.start, pf.lines.end, pf.lines.text, detail={"source": "early only"})


def _dfi(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    m = re.search(r"\b(?:DFI|disease[- ]free interval|recurrence[- ]free interval|treatment[- ]free interval)\b\D{0,12}?(\d+(?:\.\d+)?)\s*(months?|mos?|years?|yrs?|weeks?)", text, re.I)
    if m:
        d = to_days(m.group(1), {"mo": "months", "mos": "months"}.get(m.group(2).lower(), m.group(2)))
        pf.dfi = Fact("dfi", d, m.start(), m.end(), m.group(0))
        return
    m = re.search(rf"\b({NUM})\s*({TIME_UNIT})\s+(?:before|prior to)\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}?(?:recurrence|relapse|progression|metastas[ie]s|mets)\b", text, re.I)
    if m:
        d = to_days(m.group(1), m.group(2))
        if d is not None:
            pf.dfi = Fact("dfi", d, m.start(), m.end(), m.group(0))
            return
    m = re.search(rf"\b(?:about\s+|approximately\s+|around\s+|~\s*|over\s+|more than\s+)?({NUM})\s*({TIME_UNIT})\s+after\s+(?:(?:she|he|i|they)\s+)?(?:had\s+)?(?:finish\w*|complet\w*|stopp\w*|the end of|(?:neo)?adjuvant|surgery|her|his|my)\b", text, re.I)
    if m and _RECUR.search(doc.sentence_text(doc.sentence_of_char(m.start()))):
        d = to_days(m.group(1), m.group(2))
        if d is not None:
            pf.dfi = Fact("dfi", d, m.start(), m.end(), m.group(0))
            return
    early = [f for f in pf.drugs if f.affirmed and _is_anticancer(f) and f.detail.get("setting") == "early"]
    if not early:
        return
    rm = _RECUR.search(text) or _NEW_METS.search(text)
    if rm is None:
        return
    rec_si = doc.sentence_of_char(rm.start())
    rec_ago = 0.0
    for r in _RECUR.finditer(text):
        am = re.match(rf"[^.;]{{0,25}}?\b({NUM})\s*({TIME_UNIT})\s+ago\b", text[r.end():], re.I)
        if am:
            rec_ago = to_days(am.group(1), am.group(2)) or 0.0
            break
    else:
        sent = doc.sentence_text(rec_si)
        ago = list(_AGO_RE.finditer(sent))
        rec_in_sent = rm.start() - doc.sentences[rec_si][0]
        # "finished 2 years ago, now it's come back": a time before the recurrence words dates the treatment, not it
        if len(ago) == 1 and not (ago[0].end() <= rec_in_sent and re.search(r"\b(?:now|recently|just)\b", sent[ago[0].end():rec_in_sent], re.I)):
            rec_ago = sentence_days_ago(sent) or 0.0
    # dates: completion of early therapy vs the recurrence
    dates_rec = [d for d in _DATE_RE.finditer(doc.sentence_text(rec_si))]
    best = None
    for f in early:
        si = doc.sentence_of_char(f.start)
        if dates_rec:
            s0, e0 = doc.sentences[si]
            after = text[f.end:e0]
            dm = _DATE_RE.search(after)
            if dm:
                months = _date_index(dates_rec[0], upper=False) - _date_index(dm, upper=True)
                if months >= 0:
                    best = max(best or 0.0, months * 30.4)
                    continue
        if f.days_ago is not None:
            dur = 0.0
            sm = re.search(rf"\bfor\s+(?:about\s+)?({NUM})\s*({TIME_UNIT})", doc.sentence_text(si), re.I)
            if sm and f.detail.get("timing") != "clause":
                dur = to_days(sm.group(1), sm.group(2)) or 0.0
            val = f.days_ago - dur - rec_ago
            if val > 0:
                best = max(best or 0.0, val)
    if best is not None:
        pf.dfi = Fact("dfi", best, early[0].start, early[0].end, early[0].text, detail={"estimated": True})


_AE_TERM = (r"neuropath\w*|nause\w*|vomit\w*|fatigue|diarrh\w*|colitis|hepatitis|pneumonitis|rash\w*|dermatitis|hand[- ]foot|palmar|mucositis|"
            r"stomatitis|alopecia|hypothyroid\w*|hyperthyroid\w*|thyroiditis|hypophysitis|myocarditis|nephritis|bleed\w*|ha?emorrhag\w*|an(?:a)?emi\w*|"
            r"neutropeni\w*|thrombocytopeni\w*|infusion reaction|hypersensitivity|toxicit\w*|adverse events?|side effects?|\birae?s?\b|\baes?\b|"
            r"ild|interstitial lung disease|transaminitis|hepatotoxicit\w*|ototoxicit\w*|pigmentation|insomnia|hypomagnes\w*|hypertension|arthralgia|myalgia|"
            r"edema|oedema|pruritus|mucosal|keratitis|uveitis|myositis|endocrinopath\w*|adrenal insufficiency|diabetes")
_IMMUNE_AE = re.compile(r"immune[- ](?:related|mediated)|\birae?s?\b|\bimmunotherapy[- ]related\b|\bautoimmune\b", re.I)
_IMMUNE_ORGAN = re.compile(r"hepatitis|colitis|pneumonitis|myocarditis|nephritis|hypophysitis|thyroiditis|myositis|dermatitis|encephalitis|endocrinopath", re.I)


def _adverse_events(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    grade_re = re.compile(r"\b(?:ctcae\s+)?grade\s*(?:(<=|≤|<|>=|≥)\s*)?([0-4])(?!\s*(?:tumou?r|carcinoma|adeno|serous|glioma|differentiat|lesion|ductal))\b|\b(?-i:G)([1-4])\b(?!\s*(?:tumou?r|carcinoma))", re.I)
    for m in grade_re.finditer(text):
        si = doc.sentence_of_char(m.start())
        s0, e0 = doc.sentences[si]
        a0 = max(text.rfind(";", s0, m.start()), text.rfind(",", s0, m.start()), text.rfind("(", s0, m.start()), s0 - 1) + 1
        ends = [x for x in (text.find(";", m.end(), e0), text.find(",", m.end(), e0), text.find(")", m.end(), e0)) if x >= 0]
        b0 = min(ends) if ends else e0
        clause = text[a0:b0]
        sent = text[s0:e0]
        term = re.search(_AE_TERM, clause, re.I)
        if not term:
            continue
        if re.search(r"\bgrade\s*[0-4]\s*(?:tumou?r|carcinoma|adenocarcinoma|serous)", clause, re.I):
            continue
        op = m.group(1)
        g = int(m.group(2) or m.group(3))
        a = doc.assertion_chars(m.start(), m.end())
        if a.family or a.hypothetical:
            continue
        # a summary: "toxicities <= grade 1", "no other residual toxicity"
        if op in ("<=", "≤") or (op == "<" and g >= 1) or re.search(r"\b(?:all\s+)?(?:toxicit\w+|adverse events?|aes?)\s+(?:resolved\s+to|<=|≤|at most|(?:\w+\s+)?grade)", clause, re.I):
            gmax = g if op != "<" else g - 1
            pf.toxicity_summary = Fact("toxicity_summary", gmax, a0, b0, clause.strip())
            continue
        immune = bool(_IMMUNE_AE.search(clause)) or (bool(_IMMUNE_ORGAN.search(clause)) and any(
            "checkpoint_inhibitor" in f.value["classes"] for f in pf.drugs if f.affirmed and doc.sentence_of_char(f.start) == si))
        resolved = bool(re.search(r"\b(?:fully |completely )?(?:resolved|recovered|resolution)\b|\bnow normal\b|\breturned to baseline\b", sent, re.I)) \
            and not re.search(r"\bnow grade\b|\bresidual\b|\bpersist\w*\b|\bongoing\b", clause, re.I)
        f = Fact("adverse_event", {"grade": g, "term": term.group(0).lower(), "immune": immune}, m.start() if m.start() < term.start() + a0 else a0 + term.start(),
                 max(m.end(), a0 + term.end()), "", a.negated, a.historical, False, a.uncertain, False, sentence_days_ago(sent),
                 {"resolved": resolved, "stable": bool(re.search(r"\bstable\b|\bchronic\b|\bfor (?:over|more than) (?:a|\d+) (?:year|month)", sent, re.I)),
                  "only": bool(re.search(r"\bonly\b", clause, re.I))})
        f.text = text[f.start:f.end]
        pf.adverse_events.append(f)
        if f.detail["only"] and not resolved and pf.toxicity_summary is None:
            pf.toxicity_summary = Fact("toxicity_summary", g, f.start, f.end, f.text)
    m = re.search(r"\bno (?:other |further )?(?:residual|ongoing|persistent|significant|dose[- ]limiting|relevant)?\s*(?:toxicit\w+|adverse events?|side effects)\b|"
                  r"\b(?:toxicit\w+|side effects)\s+(?:have\s+|has\s+)?(?:all\s+)?resolved\b", text, re.I)
    if m and pf.toxicity_summary is None:
        grades = [f.value["grade"] for f in pf.adverse_events if not f.negated and not f.detail["resolved"]]
        pf.toxicity_summary = Fact("toxicity_summary", max(grades) if grades else 0, m.start(), m.end(), m.group(0))
    for m in re.finditer(r"\bno (?:history of |prior |previous )?(?:irae?s?|immune[- ](?:related|mediated) (?:adverse events?|toxicit\w+|aes?))\b", text, re.I):
        pf.adverse_events.append(Fact("adverse_event", {"grade": None, "term": "irae", "immune": True}, m.start(), m.end(), m.group(0),
                                      negated=True, detail={"resolved": False, "summary": True}))


_RT_TO_LESION = re.compile(r"^[^;.]{0,30}?\b(?:that |which )?(?:received|had|got|underwent|was treated with|treated with)\s+(?:\w+\s+){0,2}?"
                           r"(?:(?-i:RT|XRT|SBRT|SRS)|radiotherapy|radiation|irradiation|radiosurgery)\b", re.I)  # "27 mm mass that received palliative RT"
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(mm|cm)\b", re.I)


def _lesions(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    for m in _SIZE_RE.finditer(text):
        si = doc.sentence_of_char(m.start())
        s0, e0 = doc.sentences[si]
        a0 = max(text.rfind(";", s0, m.start()), text.rfind(". ", s0, m.start()), s0 - 1) + 1
        win = text[max(a0, m.start() - 60):min(e0, m.end() + 30)]
        low = win.lower()
        if not re.search(r"lesion|met\b|mets\b|metasta|nodule|mass|node|tumou?r|target|measurable|deposit|implant|lymph|\bln\b", low):
            continue
        if re.search(r"margin|resected|excised|\bcyst\b|stone|aneurysm", low):
            continue
        size = float(m.group(1)) * (10 if m.group(2).lower() == "cm" else 1)
        near = text[max(a0, m.start() - 40):min(e0, m.end() + 25)].lower()
        brain = bool(re.search(r"brain|cerebell|parenchymal|intracranial|\bcns\b|frontal|parietal|occipital|temporal lobe", text[a0:min(e0, m.end() + 25)].lower())) \
            and not re.search(r"liver|lung|hepatic|pulmonary|node|bone|adrenal|peritone", near)
        node = bool(re.search(r"\bnode|nodal|lymph|\bln\b", near)) and not re.search(r"nodule", near)
        a = doc.assertion_chars(m.start(), m.end())
        if a.family or a.hypothetical:
            continue
        seg_after = text[m.end():e0]
        irr = None
        if re.search(r"\b(?:never|not|none|non)[- ](?:previously |been )*(?:irradiated|radiated)\b|\bnon-?irradiated\b|\bnot (?:in|within) (?:the|a|any) (?:prior )?radiation field", text[max(a0, m.start() - 80):e0], re.I):
            irr = False
        elif re.search(r"\b(?:previously |prior )?irradiated\b|\bin the radiation field\b", text[max(a0, m.start() - 60):min(e0, m.end() + 40)], re.I) \
                or _RT_TO_LESION.search(text[m.end():min(e0, m.end() + 60)]):
            irr = True
        f = Fact("lesion", size, m.start(), m.end(), win.strip(), detail={"brain": brain, "node": node, "irradiated": irr,
                                                                         "short_axis": bool(re.search(r"short[- ]axis", seg_after[:25], re.I))})
        pf.lesions.append(f)
    # "none irradiated" / "never irradiated" said once for all lesions of the sentence
    body = [f for f in pf.lesions if not f.detail["brain"]]
    meas = [f for f in body if (f.value >= 15 if f.detail["node"] else f.value >= 10)]
    if pf.measurable is None:
        mm = re.search(r"\bmeasurable\b|\btarget(?: lesion)?\s*:", text, re.I)
        if mm:
            a = doc.assertion_chars(mm.start(), mm.end())
            if not a.family and not a.hypothetical:
                pf.measurable = Fact("measurable", not a.negated, mm.start(), mm.end(), mm.group(0))
        elif meas:
            pf.measurable = Fact("measurable", True, meas[0].start, meas[0].end, meas[0].text, detail={"inferred": "size"})


def _platinum(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    plat = r"(?:carboplatin|cisplatin|oxaliplatin|platinum(?:[- ]based)?(?: chemotherapy| therapy| doublet)?|carbo)"
    pats = [
        ("refractory", rf"\b(?:progress\w*|PD|grew|growing)\s+(?:during|on|while on|while receiving|through)\s+(?:(?:first|1st|front)[- ]line\s+|1L\s+)?(?:[\w-]+[/ ]){{0,2}}?{plat}"),
        ("refractory", r"\bplatinum[- ]refractory\b|\bprimary platinum[- ]refractory\b|\brefractory to platinum\b"),
        ("resistant", r"\bplatinum[- ]resistant\b|\bresistant to platinum\b"),
        ("sensitive", r"\bplatinum[- ]sensitive\b|\bsensitive to platinum\b"),
    ]
    for key, pat in pats:
        m = re.search(pat, text, re.I)
        if m:
            a = doc.assertion_chars(m.start(), m.end())
            if not a.negated and not a.family and not a.hypothetical:
                pf.platinum.setdefault(key, Fact("platinum", key, m.start(), m.end(), m.group(0)))
    ms = list(re.finditer(rf"\b(?:progress\w*|relaps\w*|recurr\w*|came back|PD)\s+(?:about\s+|approximately\s+)?({NUM})\s*({TIME_UNIT})\s+after\s+(?:the\s+)?(?:last\s+(?:dose\s+of\s+)?|completing\s+|finishing\s+|completion of\s+)?(?:\w+\s+){{0,2}}?{plat}", text, re.I))
    m = ms[-1] if ms else None  # the most recent platinum-free interval
    if m:
        d = to_days(m.group(1), m.group(2))
        if d is not None:
            pf.platinum["interval"] = Fact("platinum", d, m.start(), m.end(), m.group(0))


def _life_expectancy(doc: PatientDoc, pf: PatientFacts) -> None:
    m = re.search(r"\b(?:life expectancy|expected survival|estimated survival|prognosis)\b\W{0,4}(?:(?:of|is|>|≥|>=|over|more than|at least|greater than|about|approximately|~|estimated at)\s*)*"
                  r"(\d+(?:\.\d+)?)\s*(mo|mos|months?|wks?|weeks?|yrs?|years?)\b", doc.text, re.I)
    if m:
        unit = {"mo": "months", "mos": "months", "wk": "weeks", "wks": "weeks", "yr": "years", "yrs": "years"}.get(m.group(2).lower(), m.group(2))
        d = to_days(m.group(1), unit)
        if d is not None:
            pf.life_expectancy = Fact("life_expectancy", d, m.start(), m.end(), m.group(0))


def _history_uncertain(doc: PatientDoc, pf: PatientFacts) -> None:
    m = re.search(r"\b(?:unclear|unknown|not sure|unsure|uncertain|not known)\b[^.;]{0,30}\b(?:which|what)\b[^.;]{0,25}\b(?:agent|drug|antibody|treatment|therapy|medicine|chemo\w*|immunotherapy)|"
                  r"\brecords? (?:are |were |have )?(?:not (?:yet )?(?:been )?(?:received|available|obtained)|pending|awaited)|\b(?:which|what) (?:agent|drug|antibody) (?:is|was) (?:unclear|unknown|not known)", doc.text, re.I)
    if m:
        pf.history_uncertain = Fact("history_uncertain", True, m.start(), m.end(), m.group(0))


def extract_oncology(doc: PatientDoc, pf: PatientFacts) -> None:
    _history_uncertain(doc, pf)
    _timing(doc, pf)
    _therapy_setting(doc, pf)
    _advanced_naive(doc, pf)
    _lines(doc, pf)
    _dfi(doc, pf)
    _adverse_events(doc, pf)
    _lesions(doc, pf)
    _platinum(doc, pf)
    _life_expectancy(doc, pf)
