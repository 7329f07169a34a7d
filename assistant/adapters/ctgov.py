"""ClinicalTrials.gov API v2 study JSON → text, units and identity, without layout guessing.

The record is rendered as text, one quotable line per fact, under section headings; every value is copied
verbatim from the record, with short labels around it ("Minimum age: 18 Years"). Eligibility criteria (one
string in the record) are split into inclusion / exclusion items by the shared criteria parser. Posted results
become one unit per outcome × group (× class/category) with its title, time frame, unit, value and dispersion;
adverse events one unit per event × group.
"""

from __future__ import annotations

from ..types import Identity, Unit
from .layout import Line, criteria_units, split_lines


def is_ctgov(data: object) -> bool:
    return isinstance(data, dict) and isinstance(data.get("protocolSection"), dict)


def _s(value) -> str:
    """A record value as text (numbers as the record gives them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def _g(obj, *path, default=None):
    for key in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(key)
    return default if obj is None else obj


def _list(value) -> list:
    return value if isinstance(value, list) else []


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.units: list[Unit] = []
        self.section: tuple[str, ...] = ()

    def _append(self, line: str) -> tuple[int, int]:
        line = line.replace("\r", "")
        start = self.pos
        self.parts.append(line + "\n")
        self.pos += len(line) + 1
        return start, start + len(line)

    def heading(self, title: str) -> None:
        if self.parts:
            self._append("")
        self.section = (title,)
        s, e = self._append(title)
        self.units.append(Unit(s, e, "heading", self.section))

    def line(self, text: str, kind: str = "field", label: str = "", attrs: dict | None = None, context=()) -> tuple[int, int] | None:
        text = " ".join(text.split("\n")).strip()
        if not text:
            return None
        s, e = self._append(text)
        self.units.append(Unit(s, e, kind, self.section, label, dict(attrs or {}), tuple(context)))
        return s, e

    def sentences(self, text: str, attrs: dict | None = None, context=()) -> None:
        """A long value as one line, quoted sentence by sentence."""
        from .layout import prose_units

        text = " ".join(_s(text).split())
        if not text:
            return
        s, e = self._append(text)
        for u in prose_units(self.text_so_far(), Line(s, text), self.section, attrs=dict(attrs or {})):
            u.context = tuple(context)
            self.units.append(u)

    def field(self, label: str, value, **kw) -> tuple[int, int] | None:
        value = _s(value)
        return self.line(f"{label}: {value}", label=label, **kw) if value else None

    def prose(self, text: str, attrs: dict | None = None) -> None:
        from .layout import prose_units

        for para in (p.strip() for p in _s(text).split("\n")):
            if not para:
                continue
            s, e = self._append(para)
            self.units.extend(prose_units(self.text_so_far(), Line(s, para), self.section, attrs=dict(attrs or {})))

    def block(self, text: str) -> list[Line]:
        """Append a multi-line value verbatim; return its lines (for a block parser)."""
        start = self.pos
        body = _s(text).replace("\r", "")
        self.parts.append(body + "\n")
        self.pos += len(body) + 1
        return split_lines(self.text_so_far(), start, start + len(body))

    def text_so_far(self) -> str:
        joined = "".join(self.parts)
        self.parts = [joined]
        return joined


def parse(record: dict) -> tuple[str, list[Unit], Identity]:
    p = record.get("protocolSection") or {}
    b = _Builder()
    ident = _g(p, "identificationModule", default={})
    nct = _s(ident.get("nctId"))
    title = _s(ident.get("briefTitle")) or _s(ident.get("officialTitle")) or nct
    b.line(title, "heading")
    b.section = ("Identification",)
    b.field("NCT number", nct)
    b.field("Official title", ident.get("officialTitle"))
    b.field("Acronym", ident.get("acronym"))
    b.field("Organization study ID", _g(ident, "orgStudyIdInfo", "id"))
    for sec in _list(ident.get("secondaryIdInfos")):
        b.field("Secondary ID", _g(sec, "id"))

    status = _g(p, "statusModule", default={})
    if status:
        b.heading("Status")
        b.field("Overall status", status.get("overallStatus"))
        b.field("Start date", _g(status, "startDateStruct", "date"))
        b.field("Primary completion date", _g(status, "primaryCompletionDateStruct", "date"))
        b.field("Completion date", _g(status, "completionDateStruct", "date"))
        b.field("First posted", _g(status, "studyFirstPostDateStruct", "date"))
        b.field("Last update posted", _g(status, "lastUpdatePostDateStruct", "date"))

    sponsor_mod = _g(p, "sponsorCollaboratorsModule", default={})
    if sponsor_mod:
        b.heading("Sponsor")
        b.field("Lead sponsor", _g(sponsor_mod, "leadSponsor", "name"))
        for c in _list(sponsor_mod.get("collaborators")):
            b.field("Collaborator", _g(c, "name"))
        rp = sponsor_mod.get("responsibleParty") or {}
        b.field("Responsible party", rp.get("investigatorFullName") or rp.get("type"))

    desc = _g(p, "descriptionModule", default={})
    if desc.get("briefSummary"):
        b.heading("Brief summary")
        b.prose(desc["briefSummary"])
    if desc.get("detailedDescription"):
        b.heading("Detailed description")
        b.prose(desc["detailedDescription"])

    cond = _g(p, "conditionsModule", default={})
    conditions = [_s(c) for c in _list(cond.get("conditions")) if _s(c)]
    if conditions or cond.get("keywords"):
        b.heading("Conditions")
        for c in conditions:
            b.field("Condition", c)
        if cond.get("keywords"):
            b.field("Keywords", ", ".join(_s(k) for k in _list(cond["keywords"])))

    design = _g(p, "designModule", default={})
    phases = [_s(x) for x in _list(design.get("phases"))]
    if design:
        b.heading("Study design")
        b.field("Study type", design.get("studyType"))
        b.field("Phase", ", ".join(phases))
        info = design.get("designInfo") or {}
        b.field("Allocation", info.get("allocation"))
        b.field("Intervention model", info.get("interventionModel"))
        b.field("Primary purpose", info.get("primaryPurpose"))
        b.field("Masking", _g(info, "maskingInfo", "masking"))
        enrol = design.get("enrollmentInfo") or {}
        if enrol.get("count") is not None:
            kind = f" ({_s(enrol.get('type'))})" if enrol.get("type") else ""
            b.line(f"Enrollment: {_s(enrol['count'])} participants{kind}", label="Enrollment")

    arms = _g(p, "armsInterventionsModule", default={})
    drugs: list[str] = []
    if arms:
        b.heading("Arms and interventions")
        for arm in _list(arms.get("armGroups")):
            label = _s(arm.get("label"))
            kind = f" ({_s(arm.get('type'))})" if arm.get("type") else ""
            head = b.line(f"Arm: {label}{kind}", label="Arm", attrs={"group": label})
            if arm.get("description"):
                b.sentences(_s(arm["description"]), attrs={"group": label}, context=(head,) if head else ())
            names = [_s(n) for n in _list(arm.get("interventionNames"))]
            if names:
                b.line(f"Interventions: {'; '.join(names)}", label="Interventions", attrs={"group": label}, context=(head,) if head else ())
        for iv in _list(arms.get("interventions")):
            name = _s(iv.get("name"))
            drugs.append(name)
            drugs.extend(_s(o) for o in _list(iv.get("otherNames")))
            head = b.line(f"{_s(iv.get('type')).title() or 'Intervention'}: {name}", label="Intervention", attrs={"group": name})
            if iv.get("otherNames"):
                b.line(f"Other names: {', '.join(_s(o) for o in iv['otherNames'])}", label="Other names", context=(head,) if head else ())
            if iv.get("description"):
                b.sentences(_s(iv["description"]), attrs={"group": name}, context=(head,) if head else ())

    outcomes = _g(p, "outcomesModule", default={})
    if outcomes:
        b.heading("Outcome measures")
        for key, word in (("primaryOutcomes", "Primary outcome"), ("secondaryOutcomes", "Secondary outcome"), ("otherOutcomes", "Other outcome")):
            for o in _list(outcomes.get(key)):
                head = b.field(word, o.get("measure"), attrs={"measure": _s(o.get("measure"))})
                ctx = (head,) if head else ()
                if o.get("description"):
                    b.sentences(_s(o["description"]), attrs={"measure": _s(o.get("measure")), "role": "description"}, context=ctx)
                b.field("Time frame", o.get("timeFrame"), attrs={"measure": _s(o.get("measure"))}, context=ctx)

    elig = _g(p, "eligibilityModule", default={})
    if elig:
        b.heading("Eligibility")
        if elig.get("eligibilityCriteria"):
            lines = b.block(elig["eligibilityCriteria"])
            b.units.extend(criteria_units(b.text_so_far(), lines, ("Eligibility",)))
        b.field("Minimum age", elig.get("minimumAge"))
        b.field("Maximum age", elig.get("maximumAge"))
        b.field("Sex", elig.get("sex"))
        b.field("Accepts healthy volunteers", elig.get("healthyVolunteers"))

    contacts = _g(p, "contactsLocationsModule", default={})
    if contacts:
        b.heading("Contacts and locations")
        for c in _list(contacts.get("centralContacts")):
            b.line(_contact_line("Central contact", c), "contact", label="Central contact")
        for o in _list(contacts.get("overallOfficials")):
            bits = [_s(o.get("name")), _s(o.get("affiliation")), _s(o.get("role"))]
            b.line("Overall official: " + ", ".join(x for x in bits if x), label="Overall official")
        for loc in _list(contacts.get("locations")):
            place = ", ".join(x for x in (_s(loc.get(k)) for k in ("facility", "city", "state", "zip", "country")) if x)
            status_txt = f" ({_s(loc.get('status'))})" if loc.get("status") else ""
            head = b.line(f"Site: {place}{status_txt}", "site", label="Site")
            for c in _list(loc.get("contacts")):
                b.line(_contact_line("Site contact", c), "contact", label="Site contact", context=(head,) if head else ())

    results = record.get("resultsSection") or {}
    _results(b, results)

    text = b.text_so_far()
    identity = Identity(
        title=title,
        kind="registry record",
        trial_ids=tuple(x for x in (nct, _s(_g(ident, "orgStudyIdInfo", "id"))) if x),
        trial_names=tuple(x for x in (_s(ident.get("acronym")),) if x),
        phase=", ".join(phases) or None,
        drugs=tuple(dict.fromkeys(d for d in drugs if d)),
        conditions=tuple(conditions),
        sponsor=_s(_g(sponsor_mod, "leadSponsor", "name")) or None,
        dates={k: v for k, v in (("start", _s(_g(status, "startDateStruct", "date"))), ("updated", _s(_g(status, "lastUpdatePostDateStruct", "date")))) if v},
    )
    units = sorted(b.units, key=lambda u: (u.start, u.end))
    return text, units, identity


def _contact_line(word: str, c: dict) -> str:
    bits = [_s(c.get("name"))]
    if c.get("role"):
        bits.append(f"({_s(c['role'])})")
    line = f"{word}: {' '.join(x for x in bits if x)}"
    if c.get("phone"):
        ext = f" ext. {_s(c['phoneExt'])}" if c.get("phoneExt") else ""
        line += f"; Phone: {_s(c['phone'])}{ext}"
    if c.get("email"):
        line += f"; Email: {_s(c['email'])}"
    return line


def _results(b: _Builder, results: dict) -> None:
    measures = _list(_g(results, "outcomeMeasuresModule", "outcomeMeasures"))
    if measures:
        b.heading("Results")
    for om in measures:
        title = _s(om.get("title"))
        head = b.field(f"{_s(om.get('type')).title() or 'Outcome'} outcome", title, attrs={"measure": title, "role": "measure"})
        ctx = (head,) if head else ()
        if om.get("description"):
            b.sentences(_s(om["description"]), attrs={"measure": title, "role": "description"}, context=ctx)
        if om.get("populationDescription"):
            b.sentences(_s(om["populationDescription"]), attrs={"measure": title, "role": "population"}, context=ctx)
        b.field("Time frame", om.get("timeFrame"), attrs={"measure": title}, context=ctx)
        groups = {g.get("id"): g for g in _list(om.get("groups"))}
        denoms = {}
        for d in _list(om.get("denoms")):
            for c in _list(d.get("counts")):
                denoms[c.get("groupId")] = _s(c.get("value"))
        unit = _s(om.get("unitOfMeasure"))
        param = _s(om.get("paramType")).replace("_", " ").lower()
        disp = _s(om.get("dispersionType"))
        for cls in _list(om.get("classes")):
            for cat in _list(cls.get("categories")):
                for m in _list(cat.get("measurements")):
                    g = groups.get(m.get("groupId"), {})
                    gtitle = _s(g.get("title")) or _s(m.get("groupId"))
                    where = " — ".join(x for x in (_s(cls.get("title")), _s(cat.get("title"))) if x)
                    n = f" (n={denoms[m.get('groupId')]})" if denoms.get(m.get("groupId")) else ""
                    value = f"{param + ' ' if param else ''}{_s(m.get('value'))} {unit}".strip()
                    spread = ""
                    if m.get("spread"):
                        spread = f" ({disp or 'dispersion'} {_s(m['spread'])})"
                    elif m.get("lowerLimit") or m.get("upperLimit"):
                        spread = f" ({disp + ' ' if disp else ''}{_s(m.get('lowerLimit'))} to {_s(m.get('upperLimit'))})"
                    line = f"{title} — {gtitle}{n}{' — ' + where if where else ''}: {value}{spread}"
                    attrs = {"measure": title, "group": gtitle, "unit": unit, "n": denoms.get(m.get("groupId"), ""), "time_frame": _s(om.get("timeFrame"))}
                    b.line(line, "result", attrs={k: v for k, v in attrs.items() if v}, context=ctx)
    ae = _g(results, "adverseEventsModule", default={})
    if ae:
        b.heading("Adverse events")
        groups = {g.get("id"): g for g in _list(ae.get("eventGroups"))}
        for g in groups.values():
            gt = _s(g.get("title"))
            if g.get("seriousNumAtRisk") is not None:
                b.line(f"Serious adverse events — {gt}: {_s(g.get('seriousNumAffected'))}/{_s(g.get('seriousNumAtRisk'))} participants affected", "adverse_event", attrs={"group": gt, "role": "total", "serious": "1"})
            if g.get("otherNumAtRisk") is not None:
                b.line(f"Other adverse events — {gt}: {_s(g.get('otherNumAffected'))}/{_s(g.get('otherNumAtRisk'))} participants affected", "adverse_event", attrs={"group": gt, "role": "total"})
        for key, word in (("seriousEvents", "serious"), ("otherEvents", "other")):
            for ev in _list(ae.get(key)):
                term = _s(ev.get("term"))
                for st in _list(ev.get("stats")):
                    gt = _s(groups.get(st.get("groupId"), {}).get("title")) or _s(st.get("groupId"))
                    line = f"{term} ({word}) — {gt}: {_s(st.get('numAffected'))}/{_s(st.get('numAtRisk'))} participants affected"
                    b.line(line, "adverse_event", attrs={"group": gt, "term": term, **({"serious": "1"} if word == "serious" else {})})
