from __future__ import annotations

from typing import Any

from policies import apply_mask


def test_remove_and_upsert_paths() -> None:
    event: dict[str, Any] = {
        "input": {"context": {"ip": "1.2.3.4", "a/b": 1}, "list": [{"x": 1}]},
        "result": {"k": 1},
    }
    masked, touched = apply_mask(
        event,
        [
            "/input/context/ip",
            "/input/context/a~1b",
            "/input/missing/deep",
            {"op": "upsert", "path": "/result/k", "value": "**"},
            {"op": "remove", "path": "/input/list/0/x"},
            "/path/not/allowed",
            "no-slash",
            42,
        ],
    )
    assert masked["input"]["context"] == {}
    assert masked["result"] == {"k": "**"}
    assert masked["input"]["list"] == [{}]
    assert touched == ["/input/context/a~1b", "/input/context/ip", "/input/list/0/x", "/result/k"]
    assert event["input"]["context"]["ip"] == "1.2.3.4"  # the original is untouched
