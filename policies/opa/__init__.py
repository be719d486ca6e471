"""OPA compatibility: the remote OPA engine, the OPA bundle format, the control-plane APIs."""
