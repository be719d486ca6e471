"""Demo seed data of each room (``trustplane demo`` runs them once, see ``trustplane.cli.demo``)."""
