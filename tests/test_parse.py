from assistant.parse import parse
from assistant.settings import ROOT


def read(name: str) -> str:
    return (ROOT / "corpus" / name).read_text(encoding="utf-8")


def quotes(text, units, **filters):
    return [(u, text[u.start : u.end]) for u in units if all(getattr(u, k) == v for k, v in filters.items())]


def test_every_unit_is_a_verbatim_span():
    for path in (ROOT / "corpus").glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        for u in parse(text):
            quote = text[u.start : u.end]
            assert quote and quote == quote.strip(), (path.name, u)


def test_numbered_criteria_are_whole_and_carry_their_cohort():
    text = read("idxd-pan-tumor-study-summary.txt")
    units = parse(text)
    hcc = [q for u, q in quotes(text, units, kind="criterion") if u.section[-1] == "Additional Inclusion Criteria for HCC Participants"]
    assert len(hcc) == 6
    assert hcc[3] == "Liver function status should be Child-Pugh (CP) Class A."
    excl = [u for u in units if u.section == ("Exclusion criteria",)]
    assert [u.label for u in excl] == ["1", "2", "3", "4"]


def test_restarted_numbering_becomes_sub_items():
    text = read("idxd-pan-tumor-study-summary.txt")
    uc = [u for u in parse(text) if u.section[-1:] == ("Additional Inclusion Criteria for UC Participants",)]
    assert [u.label for u in uc] == ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5"]


def test_indented_sub_criteria_are_nested():
    text = read("nct07377643-ibi354-listing.txt")
    labels = [u.label for u in parse(text) if u.kind == "criterion"]
    assert {"3.1", "3.2", "10.1", "10.8", "18.5"} <= set(labels)


def test_exclusions_listed_under_inclusion_heading_are_flagged():
    text = read("nct07289048-ibi363-registry.txt")
    units = parse(text)
    (brain,) = [u for u, q in quotes(text, units, kind="criterion") if q.startswith("Untreated brain metastases")]
    assert "read as exclusions" in brain.section[-1]
    (age,) = [u for u, q in quotes(text, units, kind="criterion") if q.startswith("Age 18 to 75")]
    assert "read as exclusions" not in " ".join(age.section)


def test_continuation_lines_join_their_bullet():
    text = read("nct07134153-intrathecal-tdxd-registry.txt")
    (hbv,) = [q for u, q in quotes(text, parse(text), kind="criterion") if "active HBV" in q]
    assert hbv.endswith("HCV antibody-positive subjects are eligible only if PCR confirms HCV RNA negativity.")


def test_boilerplate_and_chrome_are_left_out():
    for name in ("idxd-pan-tumor-study-summary.txt", "nct07289048-ibi363-registry.txt", "nct07377643-ibi354-listing.txt"):
        text = read(name)
        units = parse(text)
        standalone = [text[u.start : u.end] for u in units if u.kind != "site"]
        assert not any(q in ("No email / No phone", "Menu", "Loading...") for q in standalone)
        assert not any(q.startswith("Get a concise snapshot") for q in standalone)


def test_site_list_is_one_unit_per_site():
    text = read("idxd-pan-tumor-study-summary.txt")
    sites = [q for u, q in quotes(text, parse(text), kind="site")]
    assert len(sites) == text.count("No email / No phone")
    assert sites[0].startswith("Buenos Aires, C1061ABD, Argentina") and sites[0].endswith("Status: Not yet recruiting")
