"""Document adapters: a file's bytes → ``ParsedDoc`` (quotable text, units, identity).

Structured records (ClinicalTrials.gov API v2 study JSON, NLI4CT trial reports) go through typed adapters
straight to sections and units; free text (``.txt``, ``.md``) and HTML through the layout-reading text adapter.
"""
