"""Collectors: each does all the I/O for one source into a typed snapshot."""
