"""A normal (non-editable) install carries everything it needs: prompts/ ships inside the wheel as
assistant.prompts, with the data files, and answers render from any working directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from assistant.settings import ROOT


def test_wheel_contains_prompts_and_data_and_renders_from_elsewhere(tmp_path):
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = out.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for p in (ROOT / "prompts").iterdir():
        if p.suffix in (".j2", ".yaml", ".md"):
            assert f"assistant/prompts/{p.name}" in names, p.name
    for f in ("vocab.yaml", "drugs.yaml", "chrome.txt"):
        assert f"assistant/data/{f}" in names
    assert "assistant/screening/verdict.py" in names and "assistant/adapters/text.py" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import assistant.compose as c, assistant.vocab as v; "
            "print(c.render('abstain.j2', audience='clinician', reason='', contact=None)); print(len(v.concepts()) > 50)")
    res = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(site)] + [p for p in sys.path if 'site-packages' in p]!r}; {code}"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "The documents I have do not answer this." in res.stdout and "True" in res.stdout
    assert str(site) in subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(site)] + [p for p in sys.path if 'site-packages' in p]!r}; import assistant.compose as c; print(c.prompts_dir())"],
                                       capture_output=True, text=True, cwd=tmp_path).stdout
