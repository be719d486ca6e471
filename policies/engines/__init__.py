"""Policy engines: the ``PolicyEngine`` port (``port``) and the embedded regorus engine."""
