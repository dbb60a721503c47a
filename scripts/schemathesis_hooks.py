"""Schemathesis hooks for scripts/contract.sh: a real seat for the routes that act for one.

`sendCommand` and `leaveGame` need a seat's token for the game in their path. A generated token is
always refused (401), and the document's links (create -> join -> command) reach a seat only now and
then, so without this the routes would mostly be tested on their refusal. This provider opens a
started two-player game through the API itself (create, then join twice) and calls both routes
with the first seat's token and that game's id. A new game every 20 seconds: by then the seat has
usually left, or the game ended.
"""

import json
import os
import urllib.request

import schemathesis
from schemathesis.core.parameters import ParameterLocation

BASE_URL = os.environ["CONTRACT_BASE_URL"]


def _post(path, body):
    request = urllib.request.Request(
        BASE_URL + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@schemathesis.auth(refresh_interval=20).apply_to(operation_id=["sendCommand", "leaveGame"])
class FirstSeatOfAStartedGame:
    def get(self, case, context):
        game_id = _post("/api/games", {"numPlayers": 2})["gameId"]
        first = _post(f"/api/games/{game_id}/join", {"name": "first"})
        _post(f"/api/games/{game_id}/join", {"name": "second"})
        return {"gameId": game_id, "token": first["token"]}

    def set(self, case, data, context):
        # A case that leaves the token out, or makes its header or path wrong on purpose, tests
        # the refusal: it keeps what was generated.
        meta = case.meta
        if "Authorization" not in (case.headers or {}) or (
            meta is not None
            and (meta.is_negative_at(ParameterLocation.HEADER) or meta.is_negative_at(ParameterLocation.PATH))
        ):
            return
        case.headers = {**case.headers, "Authorization": f"Bearer {data['token']}"}
        case.path_parameters = {**(case.path_parameters or {}), "gameId": data["gameId"]}
