"""HTTP routers, one module per room."""
