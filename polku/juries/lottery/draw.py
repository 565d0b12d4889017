"""Public, verifiable draw of one panel from a uniform lottery.

Protocol
--------
1. Before the draw the organisers publish the **commitment**: the SHA-256 (hex) of the
   canonical JSON (UTF-8, keys sorted, no whitespace, ``ensure_ascii=False``) of::

       {"format": "polku-lottery/2", "software_version": ..., "k": ..., "max_per_team": ...,
        "pool": [{"id", "features", "team"} sorted by id], "quotas": [sorted quota dicts],
        "panels": [[sorted ids of panel 0], [panel 1], ...], "counts": [c_0, c_1, ...]}

   The lottery has ``M = sum(counts)`` equally likely *slots*: the first ``c_0`` slots hold
   panel 0, the next ``c_1`` panel 1, and so on (panels distinct, in lexicographic order, every
   count at least 1). Listing each panel once keeps the file small however large ``M`` is, so
   ``M`` can be 10,000 or 100,000 when 1,000 slots would round the fair probabilities too
   coarsely. The older format ``polku-lottery/1`` (still verified) lists every slot's panel,
   ``"panels": [[slot 0], [slot 1], ...]``, with no ``counts``.

2. A public random source is read *after* the commitment, in one of two ways:

   * ``"dice"``: a sequence of die rolls, each a digit ``1``..``6``; roll ``r`` is the base-6
     digit ``r - 1`` (most significant first).
   * ``"decimal"``: any published decimal number (e.g. lottery results); each character
     ``0``..``9`` is a base-10 digit.

   Whitespace and the separators ``, ; - . / :`` are ignored; anything else is an error.

3. **Mapping to a slot** (rejection sampling, no modulo bias): with base ``b`` and ``M`` slots let
   ``L`` be the least number of digits with ``b**L >= M`` and ``limit = (b**L // M) * M``.  The
   digits are read in consecutive groups of ``L``; a group's value ``v`` (base ``b``) is
   accepted if ``v < limit`` and then the slot is ``v mod M``; otherwise the group is rejected
   and the next group is read.  If the digits run out before a group is accepted, the draw
   fails with :class:`InsufficientEntropyError` ("need more digits/rolls").

4. The **lottery file** (:func:`build_lottery_file`) contains everything needed to check the
   draw; :func:`verify` recomputes the commitment and the slot index and re-checks every panel.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .instance import Instance, Person, Quota, panel_violations

__all__ = [
    "FORMAT",
    "FORMAT_V1",
    "SOFTWARE_VERSION",
    "DrawError",
    "DrawTrace",
    "InsufficientEntropyError",
    "VerifyProblem",
    "VerifyResult",
    "build_lottery_file",
    "commitment",
    "index_from_public_source",
    "lottery_size",
    "slot_panel",
    "trace_draw",
    "verify",
]

FORMAT = "polku-lottery/2"
FORMAT_V1 = "polku-lottery/1"
SOFTWARE_VERSION = "polku-lottery 2.0"
_SEPARATORS = set(" \t\r\n,;-./:")


class DrawError(ValueError):
    """The public input cannot be used (bad characters, bad kind, bad M)."""


class InsufficientEntropyError(DrawError):
    """All digit groups were rejected or too few digits were given."""

    def __init__(self, digits_needed: int, kind: str) -> None:
        unit = "rolls" if kind == "dice" else "digits"
        super().__init__(f"need more {unit}: at least {digits_needed} more {unit} are required")
        self.digits_needed = digits_needed
        self.kind = kind


def _pool_entry(p: Person) -> dict[str, Any]:
    return {"id": p.id, "features": dict(sorted(p.features.items())), "team": p.team}


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def commitment(
    pool_pseudonyms: Sequence[Mapping[str, Any]],
    quotas: Sequence[Mapping[str, Any]] | Sequence[Quota],
    software_version: str,
    panels: Sequence[Sequence[str]],
    *,
    k: int | None = None,
    max_per_team: int | None = None,
    counts: Sequence[int] | None = None,
) -> str:
    """SHA-256 hex digest over the canonical serialisation described in the module docstring
    (format 2 with ``counts``, format 1 without).

    ``pool_pseudonyms`` are dicts with ``id``, ``features`` and optional ``team``; ``k``
    defaults to the size of the first panel.
    """
    pool = sorted(
        (
            {
                "id": str(p["id"]),
                "features": dict(sorted(dict(p.get("features", {})).items())),
                "team": p.get("team"),
            }
            for p in pool_pseudonyms
        ),
        key=lambda e: str(e["id"]),
    )
    qd = [q.to_dict() if isinstance(q, Quota) else dict(q) for q in quotas]
    qd.sort(key=lambda d: (str(d["attribute"]), str(d["value"])))
    payload: dict[str, Any] = {
        "format": FORMAT if counts is not None else FORMAT_V1,
        "software_version": software_version,
        "k": k if k is not None else (len(panels[0]) if panels else 0),
        "max_per_team": max_per_team,
        "pool": pool,
        "quotas": qd,
        "panels": [sorted(str(x) for x in p) for p in panels],
    }
    if counts is not None:
        payload["counts"] = [int(c) for c in counts]
    return hashlib.sha256(_canonical(payload)).hexdigest()


def lottery_size(data: Mapping[str, Any]) -> int:
    """``M``, the number of equally likely slots of a lottery file (either format)."""
    if data.get("counts") is not None:
        return sum(int(c) for c in data["counts"])
    return len(data["panels"])


def slot_panel(data: Mapping[str, Any], index: int) -> list[str]:
    """The panel in slot ``index`` (``0 <= index < M``) of a lottery file (either format)."""
    counts = data.get("counts")
    if counts is None:
        return list(data["panels"][index])
    if index < 0:
        raise IndexError(index)
    for panel, count in zip(data["panels"], counts, strict=True):
        if index < count:
            return list(panel)
        index -= count
    raise IndexError(index)


@dataclass(frozen=True)
class DrawTrace:
    """How the index was obtained: groups read, which were rejected, and the result."""

    base: int
    group_length: int
    limit: int
    groups: tuple[int, ...]
    rejected: tuple[int, ...]
    index: int


def _digits(source: str, kind: str) -> list[int]:
    if kind == "dice":
        base, allowed = 6, "123456"
    elif kind == "decimal":
        base, allowed = 10, "0123456789"
    else:
        raise DrawError(f"unknown source kind {kind!r} (use 'dice' or 'decimal')")
    out: list[int] = []
    for ch in source:
        if ch in _SEPARATORS:
            continue
        if ch not in allowed:
            raise DrawError(f"invalid character {ch!r} for a {kind} source")
        out.append(int(ch) - 1 if base == 6 else int(ch))
    return out


def trace_draw(digits: str, m: int, kind: str = "decimal") -> DrawTrace:
    """Like :func:`index_from_public_source` but returns the full trace."""
    if m <= 0:
        raise DrawError("M must be positive")
    values = _digits(digits, kind)
    base = 6 if kind == "dice" else 10
    length = 1
    while base**length < m:
        length += 1
    if m == 1:
        length = 0
    limit = (base**length // m) * m
    groups: list[int] = []
    rejected: list[int] = []
    if length == 0:
        return DrawTrace(base, 0, 1, (), (), 0)
    pos = 0
    while pos + length <= len(values):
        v = 0
        for d in values[pos : pos + length]:
            v = v * base + d
        pos += length
        groups.append(v)
        if v < limit:
            return DrawTrace(base, length, limit, tuple(groups), tuple(rejected), v % m)
        rejected.append(v)
    raise InsufficientEntropyError(length - (len(values) - pos), kind)


def index_from_public_source(digits: str, m: int, kind: str = "decimal") -> int:
    """Map public random digits to a slot in ``0..m-1`` by rejection sampling (see module doc)."""
    return trace_draw(digits, m, kind).index


def build_lottery_file(
    instance: Instance,
    slots: Sequence[Sequence[str]],
    *,
    counts: Sequence[int] | None = None,
    software_version: str = SOFTWARE_VERSION,
    draw_kind: str | None = None,
    draw_input: str | None = None,
) -> dict[str, Any]:
    """Create the JSON-compatible lottery file; with ``draw_input`` also perform the draw.

    With ``counts`` (format 2) ``slots`` are the distinct panels and ``counts[j]`` the number of
    slots of panel ``j``; they are put in lexicographic order. Without (format 1) ``slots`` is
    the list of every slot's panel."""
    pool = [_pool_entry(p) for p in sorted(instance.eligible, key=lambda p: p.id)]
    quotas = sorted(
        (q.to_dict() for q in instance.quotas), key=lambda d: (str(d["attribute"]), str(d["value"]))
    )
    data: dict[str, Any] = {
        "format": FORMAT if counts is not None else FORMAT_V1,
        "software_version": software_version,
        "k": instance.k,
        "max_per_team": instance.max_per_team,
        "pool": pool,
        "quotas": quotas,
    }
    if counts is not None:
        pairs = sorted(
            (sorted(p), int(c)) for p, c in zip(slots, counts, strict=True) if int(c) > 0
        )
        data["panels"] = [p for p, _c in pairs]
        data["counts"] = [c for _p, c in pairs]
    else:
        data["panels"] = [sorted(p) for p in slots]
    data["commitment"] = commitment(
        pool,
        quotas,
        software_version,
        data["panels"],
        k=instance.k,
        max_per_team=instance.max_per_team,
        counts=data.get("counts"),
    )
    data.update({"draw": None, "selected_index": None, "selected_panel": None})
    if draw_input is not None:
        kind = draw_kind or "decimal"
        idx = index_from_public_source(draw_input, lottery_size(data), kind)
        data["draw"] = {"kind": kind, "input": draw_input}
        data["selected_index"] = idx
        data["selected_panel"] = slot_panel(data, idx)
    return data


@dataclass(frozen=True)
class VerifyProblem:
    """One verification failure (``code`` + ``params``; ``message`` in English)."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`; ``ok`` is True only when there are no problems."""

    ok: bool
    problems: tuple[VerifyProblem, ...]
    index: int | None = None
    m: int = 0

    def describe(self) -> str:
        """English summary."""
        if self.ok:
            return f"verified: slot {self.index} was drawn correctly"
        return "verification failed: " + "; ".join(p.message for p in self.problems)


def verify(published: Mapping[str, Any]) -> VerifyResult:
    """Check a published lottery file: commitment, panel validity, draw and selected panel."""
    problems: list[VerifyProblem] = []

    def fail(code: str, message: str, **params: Any) -> None:
        problems.append(VerifyProblem(code, message, params))

    try:
        fmt = published.get("format")
        if fmt not in (FORMAT, FORMAT_V1):
            fail("unknown_format", f"unknown file format {fmt!r}")
            return VerifyResult(False, tuple(problems))
        pool_raw = list(published["pool"])
        quotas_raw = list(published["quotas"])
        panels = [list(p) for p in published["panels"]]
        k = int(published["k"])
        mpt = published.get("max_per_team")
        version = str(published["software_version"])
        counts: list[int] | None = None
        if fmt == FORMAT:
            raw_counts = published["counts"]
            if (
                not isinstance(raw_counts, list)
                or len(raw_counts) != len(panels)
                or not all(isinstance(c, int) and not isinstance(c, bool) for c in raw_counts)
                or any(c < 1 for c in raw_counts)
            ):
                fail("bad_counts", "every panel needs a whole number of slots, at least 1")
                return VerifyResult(False, tuple(problems))
            counts = raw_counts
        expected = commitment(
            pool_raw, quotas_raw, version, panels, k=k, max_per_team=mpt, counts=counts
        )
        if published.get("commitment") != expected:
            fail(
                "commitment_mismatch",
                "the commitment does not match the pool, quotas and panels in the file",
                expected=expected,
                found=published.get("commitment"),
            )
        people = [
            Person(str(p["id"]), dict(p.get("features", {})), p.get("team")) for p in pool_raw
        ]
        instance = Instance(people, k, [Quota.from_dict(q) for q in quotas_raw], max_per_team=mpt)
        for j, panel in enumerate(panels):
            violations = panel_violations(instance, panel)
            if violations:
                fail(
                    "invalid_panel",
                    f"panel {j} is invalid: {'; '.join(violations)}",
                    slot=j,
                    violations=violations,
                )
        if not panels:
            fail("no_panels", "the file contains no panels")
            return VerifyResult(False, tuple(problems))
        m = sum(counts) if counts is not None else len(panels)
        draw = published.get("draw")
        if not draw:
            fail("no_draw", "the file contains no draw input")
            return VerifyResult(False, tuple(problems), m=m)
        try:
            idx = index_from_public_source(str(draw["input"]), m, str(draw["kind"]))
        except DrawError as exc:
            fail("draw_error", str(exc))
            return VerifyResult(False, tuple(problems), m=m)
        if published.get("selected_index") != idx:
            fail(
                "index_mismatch",
                f"the draw input gives slot {idx}, the file says {published.get('selected_index')}",
                expected=idx,
                found=published.get("selected_index"),
            )
        selected = published.get("selected_panel")
        if selected is None or sorted(selected) != sorted(slot_panel(published, idx)):
            fail(
                "selected_panel_mismatch",
                f"the selected panel is not the panel in slot {idx}",
                slot=idx,
            )
        return VerifyResult(not problems, tuple(problems), idx, m=m)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        fail("malformed_file", f"malformed lottery file: {exc!r}")
        return VerifyResult(False, tuple(problems))
