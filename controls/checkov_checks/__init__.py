"""trustplane checks that checkov loads itself (``--external-checks-dir``); not imported here."""
