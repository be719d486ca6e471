"""``trustplane demo``: the runner and each room's demo seed."""
