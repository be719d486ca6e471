"""The web console: server-rendered pages for the security team, the DPO and auditors.

``install_console(app)`` adds the pages (kept out of the OpenAPI document), their static
files, the offline API docs and the security headers; ``trustplane.app`` calls it once.
"""

from web.console.install import install_console

__all__ = ["install_console"]
