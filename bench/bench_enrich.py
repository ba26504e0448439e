"""Enrichment benchmark: enriched profiles/s on the loopback DNS/SMTP rig, and pattern-learning accuracy.

Throughput. The real batch runner (`talentscout.enrichment.pipeline.enrich_batch`: per-profile
tasks under the 10 s deadline, shared MX lookups and SMTP sessions per domain, assembly)
runs in this process, pinned to CPU 0, with production timeouts. Its peers are the rig of
ENRICHMENT.md §6 (`tests/enrichment/rig.py`: dnslib DNS, aiosmtpd on 12 loopback IPs) in a
child process pinned to CPU 1. Every profile works at its own company domain (MX → one of
the rig's SMTP IPs, the person's `first.last@` mailbox exists, the domain is not catch-all),
so each profile costs an MX and an A lookup and one SMTP session (EHLO, MAIL, RCPTs of the
top guesses, a catch-all probe after the accept, QUIT) — nothing is cached across batches.
`--batches` 10-profile batches, `--concurrency` (20) of them at once; p50/p95 per-profile
latency is the pipeline's own `duration_ms`.

Baseline, same run, same rig, same concurrency: the bare protocol work with dnspython and
aiosmtplib per profile — MX, A and AAAA lookups, connect, EHLO, MAIL, RCPT of the real address,
of two wrong guesses and of a random probe, QUIT: the conversation the pipeline has (see the
"rig saw" lines) — i.e. the network floor the pipeline's logic sits on.

Accuracy. On a generated pool (companies with a known address pattern; 1–8 known emails
each, 10 % with a digit suffix) the index learner (`learn.observe_doc`, `global_prior`,
`PatternModel.fit`) must find the true pattern: share of domains with ≥ 3 known emails whose
learned top pattern is the true one, next to two baselines: the global prior's top pattern
for every domain, and a per-domain majority vote of raw matches (no prior, no smoothing).

Run: `.venv/bin/python bench/bench_enrich.py [--batches 100] [--concurrency 20] [--pattern-domains 400]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import REPO, loadavg, pct, pin, table, wait_quiet

from talentscout.config import Settings
from talentscout.engine.profile import Email, Position, ProfileDoc, YearMonth
from talentscout.enrichment.domains import registrable, resolve_mail_domains
from talentscout.enrichment.learn import observe_doc
from talentscout.enrichment.names import variants
from talentscout.enrichment.patterns import (
    DEFAULT_PRIOR,
    PATTERN_NAMES,
    PATTERNS,
    Evidence,
    PatternModel,
    global_prior,
)
from talentscout.enrichment.pipeline import BatchContext, ProfileOutcome, enrich_batch
from talentscout.enrichment.suppression import SuppressionSet
from talentscout.observability import configure_logging

FIRSTS = [
    "ada",
    "alan",
    "grace",
    "edsger",
    "barbara",
    "donald",
    "joan",
    "ken",
    "frances",
    "john",
    "radia",
    "margaret",
    "tim",
    "linus",
    "guido",
    "anita",
    "dennis",
    "bjarne",
    "sophie",
    "katherine",
]
LASTS = [
    "lovelace",
    "turing",
    "hopper",
    "dijkstra",
    "liskov",
    "knuth",
    "clarke",
    "thompson",
    "allen",
    "backus",
    "perlman",
    "hamilton",
    "berners",
    "torvalds",
    "rossum",
    "borg",
    "ritchie",
    "stroustrup",
    "wilson",
    "johnson",
]
N_IPS = 12  # tests.enrichment.rig.SMTP_IPS
PER_BATCH = 10


# --------------------------------------------------------------------------- the rig process


def rig_main(tmp: str) -> None:
    """Child: start the rig on CPU 1 from a JSON spec on stdin; answer `stats` lines; exit on EOF."""
    pin(1)
    sys.path.insert(0, str(REPO))
    from tests.enrichment.rig import SMTP_IPS, Policy, Rig

    spec = json.loads(sys.stdin.readline())
    with Rig(Path(tmp)) as rig:
        for ip in SMTP_IPS:
            rig.policies[ip] = Policy()
        for domain, mx, ip, mailboxes in spec:
            rig.add_mx(domain, (10, mx, ip))
            rig.policies[ip].mailboxes.update(mailboxes)
        sys.stdout.write(
            json.dumps({"dns": rig.dns_port, "smtp": rig.smtp_port, "ca": str(rig.ca_file)}) + "\n"
        )
        sys.stdout.flush()
        for line in sys.stdin:
            if line.strip() == "stats":
                verbs = [v for s in rig.sessions for v in s.verbs()]
                stats = {
                    "sessions": len(rig.sessions),
                    "rcpt": verbs.count("RCPT"),
                    "data": verbs.count("DATA"),
                    "quit": verbs.count("QUIT"),
                    "dns": len(rig.zone.queries),
                    "cpu_ms": int(time.process_time() * 1000),
                }
                rig.reset_records()
                sys.stdout.write(json.dumps(stats) + "\n")
                sys.stdout.flush()


class RigProcess:
    def __init__(self, spec: list[tuple[str, str, str, list[str]]], tmp: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--_rig", str(tmp)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(spec) + "\n")
        self.proc.stdin.flush()
        info = json.loads(self.proc.stdout.readline())
        self.dns_port, self.smtp_port, self.ca_file = int(info["dns"]), int(info["smtp"]), Path(info["ca"])

    def stats(self) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return {k: int(v) for k, v in json.loads(self.proc.stdout.readline()).items()}

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(20)


# --------------------------------------------------------------------------- workload


@dataclass
class Person:
    pid: str
    first: str
    last: str
    domain: str
    ip: str

    @property
    def address(self) -> str:
        return f"{self.first}.{self.last}@{self.domain}"

    def doc(self) -> ProfileDoc:
        return ProfileDoc(
            profile_id=self.pid,
            external_id=self.pid,
            name=f"{self.first.title()} {self.last.title()}",
            headline="Engineer",
            positions=(
                Position(
                    title="Engineer",
                    company=self.domain.split(".")[0].title(),
                    company_domain=self.domain,
                    start=YearMonth(2020, 1),
                ),
            ),
        )


def workload(tag: str, batches: int, rng: random.Random) -> list[list[Person]]:
    out = []
    for b in range(batches):
        batch = []
        for k in range(PER_BATCH):
            n = b * PER_BATCH + k
            batch.append(
                Person(
                    f"{tag}-{b}-{k}",
                    rng.choice(FIRSTS),
                    rng.choice(LASTS),
                    f"{tag}{n}-bench.test",
                    f"127.0.0.{2 + n % N_IPS}",
                )
            )
        out.append(batch)
    return out


def spec_of(people: list[Person]) -> list[tuple[str, str, str, list[str]]]:
    return [(p.domain, f"mx.{p.domain}", p.ip, [p.address]) for p in people]


def strong_model(domain: str, pattern: str = "{first}.{last}", n: int = 8) -> PatternModel:
    ev = Evidence()
    ev.counts[pattern] = float(n)
    ev.observations = n
    return PatternModel.fit(domain, ev, DEFAULT_PRIOR)


def settings_for(rig: RigProcess) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        log_level="WARNING",
        worker_enabled=False,
        demo_profiles=0,
        enrichment_dns_nameservers=["127.0.0.1"],
        enrichment_dns_port=rig.dns_port,
        enrichment_smtp_port=rig.smtp_port,
        enrichment_smtp_helo_fqdn="verifier.talentscout.test",
        enrichment_smtp_mail_from="verify@talentscout.test",
        enrichment_extra_suffixes=["test"],
        enrichment_fetch_allow_private=True,
        enrichment_smtp_ca_file=rig.ca_file,
    )


@dataclass
class Run:
    what: str
    profiles: int = 0
    ok: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    batch_ms: list[float] = field(default_factory=list)
    load: str = ""
    errors: dict[str, int] = field(default_factory=dict)
    cpu_self: float = 0.0  # CPU seconds of this process (CPU 0) during the run
    cpu_rig: float = 0.0  # CPU seconds of the rig process (CPU 1) during the run

    def cells(self) -> list[object]:
        rate = self.profiles / self.seconds if self.seconds else 0.0
        busy = (
            f"{self.cpu_self / self.seconds:.0%} / {self.cpu_rig / self.seconds:.0%}" if self.seconds else "–"
        )
        return [
            self.what,
            self.profiles,
            self.ok,
            f"{rate:,.0f}",
            f"{pct(self.latencies_ms, 50):.0f}",
            f"{pct(self.latencies_ms, 95):.0f}",
            f"{pct(self.batch_ms, 50):.0f}" if self.batch_ms else "–",
            f"{pct(self.batch_ms, 95):.0f}" if self.batch_ms else "–",
            busy,
            self.load,
        ]


async def pipeline_run(settings: Settings, batches: list[list[Person]], concurrency: int, label: str) -> Run:
    extra = tuple(settings.enrichment_extra_suffixes)
    none = SuppressionSet(frozenset(), frozenset(), frozenset())
    run = Run(label, load=loadavg())
    semaphore = asyncio.Semaphore(concurrency)

    async def one(batch: list[Person]) -> list[ProfileOutcome]:
        docs = [p.doc() for p in batch]
        domains = {d.profile_id: resolve_mail_domains(d, {}, extra_suffixes=extra) for d in docs}
        models = {m.domain: strong_model(m.domain) for ds in domains.values() for m in ds}
        ctx = BatchContext(settings=settings, network=True, domains=domains, models=models, suppressions=none)
        async with semaphore:
            t0 = time.perf_counter()
            outs = await enrich_batch(docs, ctx)
            run.batch_ms.append((time.perf_counter() - t0) * 1000)
        return outs

    started, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(one(b) for b in batches))
    run.seconds = time.perf_counter() - started
    run.cpu_self = time.process_time() - cpu
    truth = {p.pid: p.address for b in batches for p in b}
    for outcome in (o for outs in results for o in outs):
        run.profiles += 1
        run.latencies_ms.append(float(outcome.duration_ms))
        if not outcome.success or outcome.candidate is None:
            run.errors[outcome.error_code or "?"] = run.errors.get(outcome.error_code or "?", 0) + 1
            continue
        details = outcome.candidate["emailDetails"]
        if details and details[0]["email"] == truth[outcome.profile_id] and details[0]["status"] == "valid":
            run.ok += 1
    return run


async def floor_run(rig: RigProcess, batches: list[list[Person]], concurrency: int, label: str) -> Run:
    import aiosmtplib
    import dns.asyncresolver

    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = rig.dns_port
    resolver.lifetime = 5.0
    run = Run(label, load=loadavg())
    semaphore = asyncio.Semaphore(concurrency)

    async def profile(p: Person) -> None:
        t0 = time.perf_counter()
        mx = await resolver.resolve(p.domain, "MX")
        host = str(next(iter(mx)).exchange).rstrip(".")
        a = await resolver.resolve(host, "A")
        await resolver.resolve(host, "AAAA", raise_on_no_answer=False)
        smtp = aiosmtplib.SMTP(
            hostname=str(next(iter(a))),
            port=rig.smtp_port,
            timeout=5,
            local_hostname="verifier.talentscout.test",
            start_tls=False,
        )
        await smtp.connect()
        await smtp.ehlo()
        await smtp.mail("verify@talentscout.test")
        code_real, _ = await smtp.execute_command(b"RCPT", f"TO:<{p.address}>".encode())
        for local in (p.first, p.first[0] + p.last, uuid.uuid4().hex[:16]):  # 2 more guesses, the probe
            await smtp.execute_command(b"RCPT", f"TO:<{local}@{p.domain}>".encode())
        await smtp.quit()
        run.latencies_ms.append((time.perf_counter() - t0) * 1000)
        if code_real == 250:
            run.ok += 1

    async def one(batch: list[Person]) -> None:
        async with semaphore:
            t0 = time.perf_counter()
            await asyncio.gather(*(profile(p) for p in batch))
            run.batch_ms.append((time.perf_counter() - t0) * 1000)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(b) for b in batches))
    run.seconds = time.perf_counter() - started
    run.cpu_self = time.process_time() - cpu
    run.profiles = sum(len(b) for b in batches)
    return run


# --------------------------------------------------------------------------- pattern accuracy


def pattern_pool(domains: int, seed: int) -> tuple[list[ProfileDoc], dict[str, str]]:
    """Companies with a true pattern drawn from the default prior (no middle-name patterns)."""
    rng = random.Random(seed)
    weights = {p: w for p, w in DEFAULT_PRIOR.items() if "{m" not in p and "middle" not in p}
    truth: dict[str, str] = {}
    docs: list[ProfileDoc] = []
    for d in range(domains):
        domain = f"co{d}.example.com"
        pattern = rng.choices(list(weights), weights=list(weights.values()))[0]
        truth[domain] = pattern
        for i in range(rng.randint(1, 8)):
            name = f"{rng.choice(FIRSTS).title()} {rng.choice(LASTS).title()}"
            local = PATTERNS[pattern](variants(name)[0])
            if not local:
                continue
            if rng.random() < 0.1:
                local += str(rng.randint(1, 9))
            docs.append(
                ProfileDoc(
                    profile_id=f"{d}-{i}",
                    external_id=None,
                    name=name,
                    emails=(Email(f"{local}@{domain}", "import"),),
                )
            )
    return docs, truth


def accuracy(domains: int, seed: int) -> tuple[list[list[object]], int]:
    docs, truth = pattern_pool(domains, seed)
    per_domain: dict[str, Evidence] = {}
    company_map: dict[str, dict[str, float]] = {}
    now = datetime.now(UTC)
    for doc in docs:
        observe_doc(doc, per_domain, company_map, now=now, half_life_days=730)
    overall = Evidence()
    for ev in per_domain.values():
        overall.merge(ev)
    prior = global_prior(overall)
    eligible = [d for d, ev in per_domain.items() if ev.observations >= 3]
    sparse = [d for d, ev in per_domain.items() if 0 < ev.observations < 3]
    prior_top = max(PATTERN_NAMES, key=lambda p: prior.get(p, 0.0))

    def majority(ev: Evidence) -> str:
        return max(PATTERN_NAMES, key=lambda p: ev.counts.get(p, 0.0))  # ties: first in PATTERN_NAMES

    methods: list[tuple[str, Callable[[str], str]]] = [
        (
            "learned top pattern (Dirichlet over the global prior)",
            lambda d: PatternModel.fit(d, per_domain[d], prior).top,
        ),
        (f"baseline: global prior's top ({prior_top}) everywhere", lambda d: prior_top),
        ("baseline: per-domain majority of raw matches", lambda d: majority(per_domain[d])),
    ]
    rows: list[list[object]] = []
    for label, guess in methods:
        hits = sum(guess(d) == truth[d] for d in eligible)
        few = sum(guess(d) == truth[d] for d in sparse)
        rows.append(
            [
                label,
                f"{hits}/{len(eligible)} = {hits / max(1, len(eligible)):.1%}",
                f"{few}/{len(sparse)} = {few / max(1, len(sparse)):.1%}",
            ]
        )
    return rows, len(truth)


# --------------------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--_rig":
        rig_main(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--batches", type=int, default=100, help="10-profile batches per measured row")
    ap.add_argument("--concurrency", type=int, default=20, help="batches in flight at once")
    ap.add_argument("--pattern-domains", type=int, default=400, help="companies in the accuracy pool")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--wait-quiet", type=float, default=0.0, help="wait up to N s for load1 < 1.5 first")
    args = ap.parse_args()
    configure_logging("WARNING")
    rng = random.Random(args.seed)
    warm, main_run, floor = (
        workload(t, n, rng) for t, n in (("w", 4), ("e", args.batches), ("f", args.batches))
    )
    people = [p for group in (warm, main_run, floor) for b in group for p in b]
    registrable("warm.test", ("test",))  # load the offline public-suffix list outside the timed part
    start_load = wait_quiet(args.wait_quiet)
    pin(0)
    with tempfile.TemporaryDirectory() as tmp:
        rig = RigProcess(spec_of(people), Path(tmp))
        try:
            settings = settings_for(rig)

            async def go() -> tuple[Run, dict[str, int], Run, dict[str, int]]:
                await pipeline_run(settings, warm, args.concurrency, "warm-up")
                before = rig.stats()
                pipe = await pipeline_run(
                    settings, main_run, args.concurrency, f"enrich_batch, {args.concurrency} batches at once"
                )
                pipe_stats = rig.stats()
                base = await floor_run(
                    rig,
                    floor,
                    args.concurrency,
                    f"baseline: bare dnspython + aiosmtplib, {args.concurrency} batches at once",
                )
                base_stats = rig.stats()
                pipe.cpu_rig = (pipe_stats["cpu_ms"] - before["cpu_ms"]) / 1000
                base.cpu_rig = (base_stats["cpu_ms"] - pipe_stats["cpu_ms"]) / 1000
                return pipe, pipe_stats, base, base_stats

            pipe, pipe_stats, base, base_stats = asyncio.run(go())
        finally:
            rig.close()
    acc_rows, n_domains = accuracy(args.pattern_domains, args.seed)
    print(
        f"batches={args.batches} x {PER_BATCH} profiles, {args.concurrency} at once; pipeline=CPU0 rig=CPU1; "
        f"load at start {start_load}, at end {loadavg()}"
    )
    print(
        table(
            [
                "what",
                "profiles",
                "valid = truth",
                "profiles/s",
                "p50 ms/profile",
                "p95 ms/profile",
                "p50 ms/batch",
                "p95 ms/batch",
                "CPU busy SUT / rig",
                "load 1/5/15",
            ],
            [pipe.cells(), base.cells()],
        )
    )
    per = max(1, pipe.profiles)
    print(
        f"rig saw, pipeline: {pipe_stats['sessions'] / per:.2f} SMTP sessions, {pipe_stats['rcpt'] / per:.2f} RCPT, "
        f"{pipe_stats['dns'] / per:.2f} DNS queries per profile, DATA {pipe_stats['data']}, "
        f"QUIT {pipe_stats['quit']}/{pipe_stats['sessions']}; errors {pipe.errors or 'none'}"
    )
    per = max(1, base.profiles)
    print(
        f"rig saw, baseline: {base_stats['sessions'] / per:.2f} SMTP sessions, {base_stats['rcpt'] / per:.2f} RCPT, "
        f"{base_stats['dns'] / per:.2f} DNS queries per profile"
    )
    print()
    print(
        f"pattern learning, generated pool: {n_domains} companies (seed {args.seed}); top pattern = true pattern"
    )
    print(
        table(
            ["method", "domains with >= 3 known emails (the figure)", "domains with 1-2 (for contrast)"],
            acc_rows,
        )
    )


if __name__ == "__main__":
    main()
