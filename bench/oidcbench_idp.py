"""The shared load driver (``oidcbench.py``, not edited) with one more login plugin: idp's trusted browsers.

    IDP_BENCH_PEER_KIT=../shared/bench-peer IDP_BENCH_TRUSTED_BROWSERS=var/bench/oidc-.../trusted-browsers.json \\
        .venv/bin/python bench/oidcbench_idp.py --profile ours --login idp-trusted-browser ...   (oidcbench's options)

idp asks a one-time code after the password on a browser it does not trust (``IDP_OTP_REQUIRED``, always on in
production). A returning professional's browser is trusted: it holds the ``idp_trusted`` cookie it earned with a
code (``idp.authn.trusted_browsers``), and idp then ends the login at the password. The file named by
``IDP_BENCH_TRUSTED_BROWSERS`` lists such browsers, one per bench account: ``[{"username", "password", "cookie":
"idp_trusted=..."}, ...]`` (bench/oidc.py earns each cookie before the timed passes with a real login by e-mailed
code, the terms of use accepted on the way).

Each simulated browser of the driver is given one of them on its first login (in turn, so that as many browsers as
there are entries are all different people) and keeps it: the login fills the form with that person's username and
password and sends that person's trusted-browser cookie. The driver's ``code_flow`` clears a browser's cookies
before each flow (a full login, no SSO session); the plugin puts back the trusted-browser cookie only. So every flow
still runs authorize, login page, password (argon2id), the trusted-browser check, session, code, token.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import os
import sys
import weakref
from pathlib import Path
from types import ModuleType
from typing import Any

LOGIN = "idp-trusted-browser"
BROWSERS_ENV = "IDP_BENCH_TRUSTED_BROWSERS"
KIT_ENV = "IDP_BENCH_PEER_KIT"


def load_driver(kit: Path) -> ModuleType:
    """oidcbench.py as a module named ``oidcbench`` (its dataclasses look themselves up there)."""
    spec = importlib.util.spec_from_file_location("oidcbench", kit / "oidcbench.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no oidcbench.py in {kit}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["oidcbench"] = module
    spec.loader.exec_module(module)
    return module


def register(ob: ModuleType, browsers: list[dict[str, str]]) -> None:
    """Add the ``idp-trusted-browser`` login to ``ob.LOGINS``, lending ``browsers`` in turn."""
    if not browsers:
        raise SystemExit("no trusted browser to lend")
    lent: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
    turn = itertools.count()

    async def login_trusted_browser(client: Any, resp: Any, cfg: Any) -> str:
        who = lent.get(client)
        if who is None:
            who = lent[client] = browsers[next(turn) % len(browsers)]
        client.cookies.store(f"{who['cookie']}; Path=/", "/")
        return await ob.login_form(client, resp, dataclasses.replace(cfg, username=who["username"],
                                                                    password=who["password"]))

    ob.LOGINS[LOGIN] = login_trusted_browser


def main() -> int:
    kit, listing = os.environ.get(KIT_ENV), os.environ.get(BROWSERS_ENV)
    if not kit or not listing:
        raise SystemExit(f"set {KIT_ENV} (the folder of oidcbench.py) and {BROWSERS_ENV} (a JSON file)")
    ob = load_driver(Path(kit))
    register(ob, json.loads(Path(listing).read_text()))
    return int(ob.main())


if __name__ == "__main__":
    sys.exit(main())
