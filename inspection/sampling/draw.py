"""Seeded draws: pure, deterministic functions of (frame, seed, parameters).

The sampling frame is the population's keys in canonical order, sorted by Unicode code point
(Python's ``sorted`` on ``str``) whatever order the database returned them in, each with its
stratum label. It is stored as ``[[key, stratum], ...]``. Its hash (``snapshot_hash``) is
``SHA-256(SHA-256(K) || SHA-256(S))`` (hex) where K is every key and S every stratum label, in
frame order, each followed by LF, as UTF-8. Simple random sampling is the one-stratum case
(stratum ``""``).

Algorithm ``pcg64-argsort-v1`` (recorded in every sample's params as ``algorithm``):

1. The seed is a hex string; its bytes are ``bytes.fromhex(seed)``.
2. For each stratum, in sorted order of stratum label, take its keys in canonical order and
   seed numpy's PCG64 bit generator with the integer ``int.from_bytes(SHA-256(seed_bytes ||
   0x00 || stratum_utf8), "big")``. Take ``random_raw(N_h)``: one 64-bit number per member,
   in canonical order. (PCG64's raw stream and its SeedSequence seeding are stable across numpy
   versions by numpy's policy, NEP 19; no ``Generator`` method is used.)
3. The drawn order of the stratum is ascending by that number, ties broken by canonical
   position (a stable sort). The first ``n_h`` are selected, the next ``r_h`` are the reserve
   list, in that order.

Each stratum has its own stream, so adding or removing a stratum never changes another's draw.

Allocation (``allocate``) is integer arithmetic, also deterministic:

- ``simple``: one stratum, ``n`` of ``N``.
- ``proportional``: largest remainder (Hamilton): stratum h gets ``floor(n*N_h/N)``; the units
  left over go one each to the strata with the largest remainders ``(n*N_h) mod N``, ties to the
  larger stratum, then to the earlier stratum label.
- ``equal``: ``n/H`` each; a stratum smaller than its share gives all its members and the rest
  is shared again among the others; any units left go one each in stratum-label order.
- ``minimum``: each stratum first gets ``min(K, N_h)``; the rest of ``n`` is shared in
  proportion to what each stratum has left (``N_h - min(K, N_h)``), by largest remainder.
- ``quota``: a fixed number per stratum (per-team quotas), capped at the stratum's size;
  strata without a quota get none.

Every stratum's reserve is ``min(R, N_h - n_h)``.
Inclusion probability of a selected member is ``n_h/N_h``; its design weight is ``N_h/n_h``.
A reserve member carries the same values: the weight it takes if it replaces a selected one.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from inspection.sampling.status import MemberStatus

ALGORITHM = "pcg64-argsort-v1"
ALLOCATIONS = ("simple", "proportional", "equal", "minimum", "quota")


class DrawError(ValueError):
    """Parameters that cannot be drawn; the message says why in plain English."""


@dataclass(frozen=True)
class Drawn:
    key: str
    stratum: str
    order: int  # position in the stratum's drawn order, from 0
    role: str  # selected | reserve
    probability: float
    weight: float


@dataclass(frozen=True)
class Draw:
    algorithm: str
    sizes: dict[str, int]  # stratum → N_h
    allocation: dict[str, int]  # stratum → n_h
    members: list[Drawn]  # by stratum label, then drawn order

    @property
    def selected(self) -> list[Drawn]:
        return [m for m in self.members if m.role == MemberStatus.SELECTED]

    @property
    def reserves(self) -> list[Drawn]:
        return [m for m in self.members if m.role == MemberStatus.RESERVE]


@dataclass(frozen=True)
class Frame:
    """The sampling frame: keys in canonical order and each key's stratum (parallel lists)."""

    keys: list[str]
    strata: list[str]

    def __len__(self) -> int:
        return len(self.keys)

    def pairs(self) -> list[list[str]]:
        """``[[key, stratum], ...]``: the snapshot as stored with a sample."""
        return [list(pair) for pair in zip(self.keys, self.strata, strict=True)]


def canonical_frame(population: Mapping[str, str]) -> Frame:
    """``{key: stratum}`` → the frame in canonical key order."""
    keys = sorted(population)
    return Frame(keys, list(map(population.__getitem__, keys)))


def frame_from_pairs(pairs: Iterable[Sequence[str]]) -> Frame:
    """A stored snapshot (``[[key, stratum], ...]``) as a frame, in the order stored."""
    keys: list[str] = []
    strata: list[str] = []
    for key, stratum in pairs:
        keys.append(str(key))
        strata.append(str(stratum))
    return Frame(keys, strata)


def _lines(items: list[str]) -> bytes:
    return ("\n".join(items) + "\n").encode("utf-8") if items else b""


def snapshot_hash(frame: Frame) -> str:
    """SHA-256(SHA-256(keys) || SHA-256(strata)), each list as UTF-8 lines ending in LF."""
    if len(frame.keys) != len(frame.strata):
        raise DrawError("The frame has a different number of keys and strata.")
    keys = hashlib.sha256(_lines(frame.keys)).digest()
    strata = hashlib.sha256(_lines(frame.strata)).digest()
    return hashlib.sha256(keys + strata).hexdigest()


def is_canonical(frame: Frame) -> bool:
    """Keys strictly increasing: canonical order and no key twice."""
    keys = frame.keys
    return all(map(operator.lt, keys, islice(keys, 1, None)))


def stratum_sizes(frame: Frame) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for stratum in frame.strata:
        sizes[stratum] = sizes.get(stratum, 0) + 1
    return dict(sorted(sizes.items()))


def _largest_remainder(total: int, capacities: Mapping[str, int]) -> dict[str, int]:
    """Share ``total`` units in proportion to ``capacities`` (never above a capacity)."""
    whole = sum(capacities.values())
    if whole == 0 or total == 0:
        return {s: 0 for s in capacities}
    shares = {s: total * c // whole for s, c in capacities.items()}
    left = total - sum(shares.values())
    ranked = sorted(capacities, key=lambda s: (-(total * capacities[s] % whole), -capacities[s], s))
    for stratum in ranked[:left]:
        shares[stratum] += 1
    return shares


def _equal(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    shares: dict[str, int] = {}
    open_strata = sorted(sizes)
    remaining = total
    while open_strata:
        share = remaining // len(open_strata)
        small = [s for s in open_strata if sizes[s] <= share]
        if not small:
            extra = remaining - share * len(open_strata)
            for index, stratum in enumerate(open_strata):
                shares[stratum] = share + (1 if index < extra else 0)
            break
        for stratum in small:
            shares[stratum] = sizes[stratum]
            remaining -= sizes[stratum]
        open_strata = [s for s in open_strata if s not in small]
    return {s: shares.get(s, 0) for s in sorted(sizes)}


def allocate(
    sizes: Mapping[str, int],
    size: int,
    allocation: str,
    minimum: int = 0,
    quotas: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """How many to select from each stratum (see the module docstring)."""
    total = sum(sizes.values())
    if allocation not in ALLOCATIONS:
        raise DrawError(f"Unknown allocation '{allocation}'. Use one of {', '.join(ALLOCATIONS)}.")
    if total == 0:
        raise DrawError("The population is empty: there is nobody to draw.")
    if allocation == "quota":
        quotas = quotas or {}
        if not quotas or any(int(q) < 0 for q in quotas.values()):
            raise DrawError("Per-team quotas need a number (0 or more) for at least one team.")
        unknown = sorted(set(quotas) - set(sizes))
        if unknown:
            raise DrawError(f"No child in the population is in: {', '.join(unknown)}.")
        return {s: min(int(quotas.get(s, 0)), sizes[s]) for s in sorted(sizes)}
    if size < 1:
        raise DrawError("The sample size must be at least 1.")
    if size > total:
        raise DrawError(f"The sample size {size} is larger than the population ({total}).")
    if allocation == "simple":
        if list(sizes) != [""]:
            raise DrawError("A simple random sample has no strata.")
        return {"": size}
    if allocation == "proportional":
        return dict(sorted(_largest_remainder(size, sizes).items()))
    if allocation == "equal":
        return _equal(size, sizes)
    if minimum < 1:
        raise DrawError("Minimum-per-stratum allocation needs a minimum of at least 1.")
    floors = {s: min(minimum, n) for s, n in sizes.items()}
    if sum(floors.values()) > size:
        raise DrawError(
            f"A minimum of {minimum} in each of {len(sizes)} strata needs a sample "
            f"of at least {sum(floors.values())}, not {size}."
        )
    extra = _largest_remainder(
        size - sum(floors.values()), {s: sizes[s] - floors[s] for s in sizes}
    )
    return {s: floors[s] + extra[s] for s in sorted(sizes)}


def _stream_seed(seed: bytes, stratum: str) -> int:
    digest = hashlib.sha256(seed + b"\x00" + stratum.encode("utf-8")).digest()
    return int.from_bytes(digest, "big")


def seed_bytes(seed: str) -> bytes:
    try:
        value = bytes.fromhex(seed)
    except ValueError:
        raise DrawError(
            "The seed must be hexadecimal (0-9, a-f), an even number of digits."
        ) from None
    if not value:
        raise DrawError("The seed must not be empty.")
    return value


def drawn_order(seed: str, stratum: str, count: int, take: int) -> list[int]:
    """Canonical positions (0..count-1) of the first ``take`` members in the drawn order."""
    raw = np.random.PCG64(_stream_seed(seed_bytes(seed), stratum)).random_raw(count)
    order = np.argsort(raw, kind="stable")
    return [int(i) for i in order[:take]]


def _groups(frame: Frame) -> dict[str, np.ndarray]:
    """Each stratum's canonical positions, ascending, by stratum label."""
    labels = sorted(set(frame.strata))
    code_of = {label: index for index, label in enumerate(labels)}
    codes = np.fromiter(
        map(code_of.__getitem__, frame.strata), dtype=np.int64, count=len(frame.strata)
    )
    positions = np.argsort(codes, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=len(labels)))))
    return {label: positions[bounds[i] : bounds[i + 1]] for i, label in enumerate(labels)}


def draw(
    frame: Frame,
    seed: str,
    allocation: Mapping[str, int],
    reserve: int = 0,
    groups: Mapping[str, np.ndarray] | None = None,
) -> Draw:
    """Draw ``allocation[h]`` members (and up to ``reserve`` more) from each stratum."""
    seed_bytes(seed)
    groups = _groups(frame) if groups is None else groups
    sizes = {label: len(positions) for label, positions in groups.items()}
    members: list[Drawn] = []
    for stratum, count in sizes.items():
        chosen = allocation.get(stratum, 0)
        if chosen <= 0:
            continue
        spare = min(max(reserve, 0), count - chosen)
        positions = groups[stratum]
        probability = chosen / count
        weight = count / chosen
        for order, index in enumerate(drawn_order(seed, stratum, count, chosen + spare)):
            role = MemberStatus.SELECTED if order < chosen else MemberStatus.RESERVE
            key = frame.keys[int(positions[index])]
            members.append(Drawn(key, stratum, order, role, probability, weight))
    return Draw(ALGORITHM, sizes, {s: allocation.get(s, 0) for s in sizes}, members)


def make_params(
    size: int,
    allocation: str,
    stratify_by: str | None = None,
    minimum: int = 0,
    quotas: Mapping[str, int] | None = None,
    reserve: int = 0,
) -> dict[str, Any]:
    """The parameters a draw is recomputed from (stored with the sample)."""
    return {
        "algorithm": ALGORITHM,
        "size": int(size),
        "allocation": allocation,
        "stratify_by": stratify_by or None,
        "minimum": int(minimum),
        "quotas": {str(k): int(v) for k, v in sorted((quotas or {}).items())},
        "reserve": int(reserve),
    }


def run(frame: Frame, seed: str, params: Mapping[str, Any]) -> Draw:
    """Allocate and draw exactly as ``params`` say."""
    if params.get("algorithm") != ALGORITHM:
        raise DrawError(f"Unknown draw algorithm '{params.get('algorithm')}'.")
    groups = _groups(frame)
    sizes = {label: len(positions) for label, positions in groups.items()}
    allocation = allocate(
        sizes,
        int(params["size"]),
        str(params["allocation"]),
        int(params.get("minimum") or 0),
        params.get("quotas") or {},
    )
    return draw(frame, seed, allocation, int(params.get("reserve") or 0), groups)


def result_hash(result: Draw) -> str:
    """SHA-256 of the drawn result as canonical JSON (algorithm, allocation, members)."""
    document = {
        "algorithm": result.algorithm,
        "allocation": result.allocation,
        "members": [[m.key, m.stratum, m.order, m.role] for m in result.members],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
