"""The `hub` command: run the demo or the server, migrate, manage organisations and keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from hub import collector, migrate
from hub.auth import service as auth
from hub.auth.models import KeyRole, OrgType
from hub.db import make_engine, session_scope, utcnow
from hub.errors import HubError
from hub.settings import Settings, get_settings

app = typer.Typer(
    help="The port and trade single-window hub.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
orders_app = typer.Typer(help="Cross-border e-commerce orders.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(key_app, name="key")
app.add_typer(orders_app, name="orders")

console = Console()
err = Console(stderr=True)

HostOption = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _fail(exc: HubError) -> typer.Exit:
    err.print(f"[red]{exc.code}[/red]: {exc.message}")
    return typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the database migrations (HUB_DATABASE_URL)."""
    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    console.print(f"database at revision {revision}")


@org_app.command("create")
def org_create(
    name: str,
    type: Annotated[OrgType, typer.Option("--type", help="What kind of party it is.")],
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 country code.")] = None,
    customs_code: Annotated[
        str | None,
        typer.Option(help="USCC or 10-character customs code (a customs office: its 4-digit district)."),
    ] = None,
    port: Annotated[
        str | None, typer.Option(help="The port (UN/LOCODE) of a port operator or terminal.")
    ] = None,
) -> None:
    """Register an organisation."""
    settings = _settings()
    try:
        with session_scope(make_engine(settings.database_url)) as session:
            org = auth.create_organisation(session, name, type, country, customs_code, port)
            console.print(f"created {org.type.value} organisation {org.name!r} ({org.id})")
    except HubError as exc:
        raise _fail(exc) from exc


@org_app.command("list")
def org_list() -> None:
    """List the organisations."""
    settings = _settings()
    table = Table("name", "type", "country", "id")
    with session_scope(make_engine(settings.database_url)) as session:
        for org in auth.list_organisations(session):
            table.add_row(org.name, org.type.value, org.country or "", str(org.id))
    console.print(table)


@key_app.command("create")
def key_create(
    org: Annotated[str, typer.Option("--org", help="The organisation's name.")],
    role: Annotated[KeyRole, typer.Option(help="admin, operator or viewer.")] = KeyRole.ADMIN,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
    expires_in_days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
) -> None:
    """Create an API key; the key itself is printed once, as the last line."""
    settings = _settings()
    try:
        with session_scope(make_engine(settings.database_url)) as session:
            organisation = auth.get_organisation_by_name(session, org)
            expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
            issued = auth.issue_key(
                session,
                organisation,
                pepper=settings.key_pepper.get_secret_value(),
                name=name,
                role=role,
                expires_at=expires,
            )
    except HubError as exc:
        raise _fail(exc) from exc
    err.print(
        f"{role.value} key {issued.key.id} for {organisation.name!r}; store it now, it is not shown again:"
    )
    print(issued.token)


chain_app = typer.Typer(help="The chain and its contracts.", no_args_is_help=True)
app.add_typer(chain_app, name="chain")


def _ledger(settings: Settings, *, connect: bool = True, read_only: bool = False) -> Any:
    from ledger.chain import ChainError
    from ledger.runtime import Ledger

    try:
        ledger = Ledger(settings, make_engine(settings.database_url), read_only=read_only)
    except ChainError as exc:
        err.print(f"[red]chain error:[/red] {exc}")
        raise typer.Exit(1) from exc
    if connect:
        try:
            ledger.connect()
        except ChainError as exc:
            err.print(f"[red]chain error:[/red] {exc}")
            raise typer.Exit(1) from exc
    return ledger


@chain_app.command("deploy")
def chain_deploy() -> None:
    """Deploy, on HUB_CHAIN_URL, each of the hub's contracts this chain does not have yet (the anchor,
    title and receivable registries and the OpenAttestation document store) and remember them in the
    database; prints each contract's address. Run it once per chain, and again after an upgrade that
    brings a new contract."""
    from ledger.anchorer import ensure_registry
    from ledger.build import CONTRACT_NAMES
    from ledger.openattestation import oa_identity_record

    settings = _settings()
    ledger = _ledger(settings, connect=False)
    try:
        for name in CONTRACT_NAMES:
            address = ensure_registry(
                ledger.engine,
                ledger.chain,
                address=settings.anchor_contract if name == "AnchorRegistry" else None,
                allow_deploy=True,
                name=name,
            )
            err.print(f"{name} on chain {ledger.chain.chain_id}:")
            print(address)
            if name == "DocumentStore":
                # What TradeTrust's identity check looks for at HUB_OA_IDENTITY_LOCATION.
                err.print(
                    f"publish at {settings.oa_identity_location} the DNS TXT record: "
                    f"{oa_identity_record(ledger.chain.chain_id, address)}"
                )
    finally:
        ledger.chain.close()


@chain_app.command("supervisor")
def chain_supervisor(
    address: Annotated[str, typer.Argument(help="The regulator's account (0x...).")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the role away instead.")] = False,
) -> None:
    """Give a regulator's account the supervisory read role on the anchor registry (or take it away with
    --revoke); the hub's chain account must be the registry's admin. Prints whether it holds the role."""
    from ledger.chain import ChainError

    settings = _settings()
    ledger = _ledger(settings)
    try:
        chain = ledger.chain
        try:
            (chain.revoke_supervisor if revoke else chain.grant_supervisor)(address)
        except ValueError as exc:
            err.print(f"[red]not an account address:[/red] {exc}")
            raise typer.Exit(2) from exc
        except ChainError as exc:
            err.print(f"[red]chain error:[/red] {exc}")
            raise typer.Exit(1) from exc
        holds = chain.is_supervisor(address)
    finally:
        ledger.chain.close()
    err.print(
        f"{address} {'holds' if holds else 'does not hold'} the supervisory read role on chain {chain.chain_id}"
    )
    print("supervisor" if holds else "none")


@chain_app.command("upgrade-receivables")
def chain_upgrade_receivables() -> None:
    """Move the receivables to this hub's version of the ReceivableRegistry: deploy it and replay every
    registration, live pledge (with its draws on evidence) and settlement from the hub's records. Run it
    once after upgrading a hub whose registry is older (the hub says so); it resumes where it stopped.
    On the embedded chain, stop `hub serve` first."""
    from hub.finance.upgrade import upgrade

    settings = _settings()
    ledger = _ledger(settings, connect=False)
    try:
        done = upgrade(ledger.engine, ledger.chain, settings.finance_blinding_key.get_secret_value())
    finally:
        ledger.chain.close()
    err.print(
        f"ReceivableRegistry on chain {ledger.chain.chain_id}: "
        + (f"the older one at {done.old} is retired; " if done.old else "")
        + f"{done.registered} receivables registered, {done.pledged} pledges and {done.settled} "
        f"settlements replayed, {done.already} already there"
    )
    print(done.new)


@app.command()
def anchor(
    once: Annotated[bool, typer.Option(help="Anchor what is pending now, then exit.")] = False,
) -> None:
    """Run the anchoring worker (production runs it as its own process, next to `hub serve`)."""
    import signal
    import threading

    settings = _settings()
    if not settings.chain_url:
        err.print(
            "[red]hub anchor needs HUB_CHAIN_URL[/red]: the embedded chain lives inside `hub serve`, which anchors by itself"
        )
        raise typer.Exit(2)
    ledger = _ledger(settings)
    collector.tune()
    if once:
        console.print(f"anchored {ledger.anchorer.drain()} record versions")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    err.print(f"anchoring worker {ledger.anchorer.owner} on chain {ledger.chain.chain_id}")
    ledger.anchorer.run_forever(stop)


def _record_id(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError as exc:
        err.print(f"[red]INVALID[/red]: {value!r} is not a record id")
        raise typer.Exit(2) from exc


@app.command()
def verify(kind: str, record_id: str) -> None:
    """Check a record against its anchor and the chain (exit 0 only when ANCHORED); works beside a
    running `hub serve`, on the embedded chain too (it reads a copy of the chain's journal)."""
    import hub.domains  # noqa: F401  (the record kinds)

    settings = _settings()
    ledger = _ledger(settings, read_only=True)
    with session_scope(ledger.engine) as session:
        try:
            result = ledger.verify(session, kind, _record_id(record_id))
        except HubError as exc:
            raise _fail(exc) from exc
    table = Table(show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")  # hashes whole: people compare them
    for name in (
        "status",
        "kind",
        "record_id",
        "version",
        "record_hash",
        "leaf_index",
        "root",
        "chain_id",
        "contract",
        "tx_hash",
        "block_number",
        "anchored_at",
        "detail",
    ):
        value = getattr(result, name)
        table.add_row(name, str(value.value if hasattr(value, "value") else value))
    console.print(table)
    raise typer.Exit(0 if result.status.value == "ANCHORED" else 1)


@app.command()
def export(
    kind: str,
    record_id: str,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="File to write (default: standard output).")
    ] = None,
    form: Annotated[
        str,
        typer.Option(
            "--format",
            help="hub: the record and its proof, for `python -m ledger.verify`; oa: a document as an "
            "OpenAttestation v2 file for TradeTrust's verifiers, of a document, bill, ceb_inventory or "
            "receivable (issued on the document store at its first export, which needs the chain: with the "
            "embedded chain, while no hub runs).",
        ),
    ] = "hub",
) -> None:
    """Write a record with its proof for `python -m ledger.verify` (beside a running hub too), or a
    record as an OpenAttestation file."""
    import json

    import hub.domains  # noqa: F401  (the record kinds)
    from ledger.verify import export_record

    if form not in ("hub", "oa"):
        err.print(f"[red]unknown format {form!r}:[/red] hub or oa")
        raise typer.Exit(2)
    if form == "oa":
        from hub.attestations import EXPORTERS

        if kind not in EXPORTERS:
            err.print(
                f"[red]cannot export:[/red] OpenAttestation files are of {', '.join(EXPORTERS)}, not {kind}"
            )
            raise typer.Exit(2)
    settings = _settings()
    exported: dict[str, Any]
    if form == "oa":
        exported = _export_oa(settings, kind, _record_id(record_id))
    else:
        ledger = _ledger(settings, read_only=True)
        with session_scope(ledger.engine) as session:
            try:
                exported = export_record(session, ledger.verifier, kind, _record_id(record_id))
            except (HubError, ValueError) as exc:
                err.print(f"[red]cannot export:[/red] {getattr(exc, 'message', exc)}")
                raise typer.Exit(1) from exc
    text = json.dumps(exported, indent=2, ensure_ascii=False) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        err.print(f"wrote {output}")
    else:
        print(text, end="")


def _export_oa(settings: Settings, kind: str, record_id: Any) -> dict[str, Any]:
    """A record's OpenAttestation export: the stored one for its version, or a new one issued now. The
    command reads as the hub's operator (every record, as a regulator's key would)."""
    import uuid

    from hub import attestations
    from hub.auth.models import KeyRole, OrgType
    from hub.auth.permissions import Principal

    nobody = uuid.UUID(int=0)
    operator = Principal(nobody, "hub operator", OrgType.REGULATOR, KeyRole.VIEWER, nobody)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        try:
            row, _ = attestations.EXPORTERS[kind](session, operator, record_id)
        except HubError as exc:
            err.print(f"[red]cannot export:[/red] {exc.message}")
            raise typer.Exit(1) from exc
        known = attestations.stored(session, kind, row)
        if known is not None:
            return known
    ledger = _ledger(settings)  # issuing writes to the chain
    try:
        with session_scope(ledger.engine) as session:
            try:
                (wrapped,) = attestations.export(
                    session, operator, kind, [record_id], ledger=ledger, settings=settings
                )
            except HubError as exc:
                err.print(f"[red]cannot export:[/red] {exc.message}")
                raise typer.Exit(1) from exc
            return wrapped
    finally:
        ledger.chain.close()


class _Counted:
    """A file read through, counting the bytes read: how far a streamed file's progress bar has got."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.count = handle, 0

    def read(self, size: int = -1, /) -> bytes:
        chunk: bytes = self.handle.read(size)
        self.count += len(chunk)
        return chunk


# Files above this are streamed by `hub ingest`: read whole, a 32 MB interchange of a million segments
# took 954 MB before the reader refused it; streamed, memory stays near one part's worth.
STREAM_ABOVE_BYTES = 4_000_000


@app.command()
def ingest(
    files: Annotated[
        list[str], typer.Argument(help="EDIFACT interchanges, DCSA event JSON or CEB XML messages.")
    ],
    org: Annotated[str, typer.Option("--org", help="The organisation that sends them.")],
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            help="Worker processes that parse while this one writes (default: one per spare core when "
            "there are several files or a streamed one; 0 parses here).",
        ),
    ] = None,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Stream DCSA and EDIFACT files in parts whatever their size (files larger than 4 MB "
            "always are).",
        ),
    ] = False,
    part_size: Annotated[
        int,
        typer.Option(
            "--part-size",
            min=1,
            max=50_000,
            help="Events per part of a streamed DCSA file; an EDIFACT part holds whole messages of about "
            "four segments per event (at least four times this many segments).",
        ),
    ] = 5000,
) -> None:
    """Ingest message files for an organisation, with a progress bar.

    A file is stored whole or refused whole, except a file streamed in parts: each part (a DCSA file's
    --part-size events, an EDIFACT interchange's whole messages) is stored whole or refused whole in its
    own transaction, and a refusal names the events' or segments' place in the file. What was stored
    stays stored: run the same command again once the file is mended, and what is already stored counts
    as duplicates, never twice."""
    from pathlib import Path

    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from adapters import ceb
    from adapters.dcsa import stream as dcsa_stream
    from adapters.edifact import stream as edifact_stream
    from hub.auth.models import KeyRole
    from hub.auth.permissions import Principal
    from hub.commerce import service as commerce
    from hub.tracking import pipeline

    settings = _settings()
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        try:
            organisation = auth.get_organisation_by_name(session, org)
        except HubError as exc:
            raise _fail(exc) from exc
    principal = Principal(
        organisation.id, organisation.name, organisation.type, KeyRole.OPERATOR, organisation.id
    )
    sizes = {name: Path(name).stat().st_size for name in files}

    def streamed(name: str) -> str | None:
        with Path(name).open("rb") as handle:
            kind = pipeline.detect_format(handle.read(64))
        large = stream or sizes[name] > STREAM_ABOVE_BYTES
        return kind if large and kind in ("dcsa", "edifact") else None

    streams = {name: kind for name in files if (kind := streamed(name)) is not None}
    if jobs is None:
        jobs = 0 if len(files) < 2 and not streams else pipeline.spare_cores()
    collector.tune()
    totals = {"stored": 0, "duplicates": 0, "updated": 0, "failed": 0}
    # Per streamed file: its parts' figures, where reading it stopped (if it did), and bytes read so far.
    parts: dict[str, dict[str, int]] = {
        n: {"parts": 0, "refused": 0, "stored": 0, "duplicates": 0} for n in streams
    }
    stopped: dict[str, str] = {}
    read_at: dict[str, int] = {}  # a part's label -> bytes of its file read when it was cut
    label_file: dict[str, str] = {}  # a part's label -> its file

    def messages() -> Any:
        for name in files:
            if name not in streams:
                yield name, Path(name).read_bytes()
                continue
            with Path(name).open("rb") as handle:
                counted = _Counted(handle)
                limit = settings.max_ingest_bytes
                cut = (
                    dcsa_stream.parts(counted, size=part_size, whole_limit=limit)
                    if streams[name] == "dcsa"
                    else edifact_stream.parts(counted, size=4 * part_size, whole_limit=limit)
                )
                try:
                    for part in cut:
                        label = f"{name} {part.where}"
                        read_at[label] = counted.count
                        label_file[label] = name
                        yield label, part
                except HubError as exc:
                    stopped[name] = exc.message

    shown: dict[str, int] = dict.fromkeys(files, 0)  # bytes of each file the bar has counted
    columns = (TextColumn("ingesting"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("ingesting", total=sum(sizes.values()))
        for outcome in pipeline.run(engine, principal, messages(), jobs=jobs):
            label, kind = outcome.name, outcome.kind
            name = label_file.pop(label) if label not in sizes else label
            done = read_at.pop(label, sizes[name])
            progress.advance(task, max(0, done - shown[name]))
            shown[name] = max(shown[name], done)
            try:
                if outcome.refused is not None:
                    raise HubError(outcome.refused)
                if outcome.report is None:  # CEB XML: the commerce service's
                    message = ceb.parse(Path(name).read_bytes())
                    with session_scope(engine) as session:
                        report = commerce.ingest_message(session, principal, message).as_json()
                    report["flagged"] = []
                    kind = message.code
                else:
                    report = outcome.report.as_json()
                for key in ("stored", "duplicates", "updated"):
                    totals[key] += report[key]
                if name in parts:
                    figures = parts[name]
                    figures["parts"] += 1
                    figures["stored"] += report["stored"]
                    figures["duplicates"] += report["duplicates"]
                    continue
                progress.console.print(
                    f"{name}: {kind}, {report['stored']} stored, {report['duplicates']} duplicates"
                    + (f", {len(report['flagged'])} flagged" if report["flagged"] else ""),
                    soft_wrap=True,
                    markup=False,
                )
            except HubError as exc:
                totals["failed"] += 1
                if name in parts:
                    parts[name]["parts"] += 1
                    parts[name]["refused"] += 1
                progress.console.print(
                    f"{label}: refused: {exc.message}", soft_wrap=True, markup=False, style="red"
                )
        for name in streams:
            progress.advance(task, max(0, sizes[name] - shown[name]))
    for name in sorted(streams):
        figures = parts[name]
        unit = f"at most {part_size} events" if streams[name] == "dcsa" else "whole messages"
        line = (
            f"{name}: streamed in {figures['parts']} parts of {unit}, "
            f"{figures['stored']} stored, {figures['duplicates']} duplicates"
        )
        if figures["refused"]:
            line += f", {figures['refused']} parts refused"
        if name in stopped:
            totals["failed"] += 1
            line += f"; reading stopped: {stopped[name]}"
        if figures["refused"] or name in stopped:
            line += " (what was stored stays stored: mend the file and run again, nothing is stored twice)"
        console.print(line, soft_wrap=True, markup=False)
    console.print(
        f"{totals['stored']} records stored, {totals['duplicates']} duplicates, {totals['updated']} updated, "
        f"{totals['failed']} refused"
    )
    if totals["failed"]:
        raise typer.Exit(1)


@orders_app.command("import")
def orders_import(
    file: Annotated[str, typer.Argument(help="Platform orders: .csv (one row per item) or .json.")],
    org: Annotated[str, typer.Option("--org", help="The seller or platform that sends them.")],
    chunk: Annotated[int, typer.Option(min=1, max=10_000, help="Orders per transaction.")] = 500,
) -> None:
    """Import platform orders in chunks, each chunk whole or not at all, with a progress bar.

    A CSV is read row by row, whatever its size (a chunk's rows at a time); a refused chunk names its rows
    and the others are stored. Run the same file again once it is mended: what is stored counts as
    duplicates, never twice. A JSON file is read whole (at most 100,000 orders)."""
    from pathlib import Path

    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from adapters.platform import orders
    from adapters.platform import stream as order_stream
    from hub.auth.permissions import Principal
    from hub.commerce import service as commerce

    settings = _settings()
    engine = make_engine(settings.database_url)
    is_csv = file.lower().endswith(".csv")
    try:
        with session_scope(engine) as session:
            organisation = auth.get_organisation_by_name(session, org)
    except HubError as exc:
        raise _fail(exc) from exc
    principal = Principal(
        organisation.id, organisation.name, organisation.type, KeyRole.OPERATOR, organisation.id
    )
    collector.tune()
    totals: dict[str, int] = {"stored": 0, "updated": 0, "duplicates": 0, "failed": 0}
    statuses: dict[str, int] = {}
    size = Path(file).stat().st_size

    def chunks(handle: _Counted) -> Any:
        if is_csv:
            yield from order_stream.parts(handle, size=chunk)
            return
        records = orders.parse_json(handle.read())
        for start in range(0, len(records), chunk):
            part = records[start : start + chunk]
            yield order_stream.OrderPart(f"orders {start + 1}-{start + len(part)}", part)

    columns = (TextColumn("importing orders"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Path(file).open("rb") as raw, Progress(*columns, console=err) as progress:
        handle = _Counted(raw)
        task = progress.add_task("importing orders", total=size)
        try:
            for part in chunks(handle):
                try:
                    if part.refused is not None:
                        raise part.refused
                    with session_scope(engine) as session:
                        report = commerce.ingest_orders(
                            session, principal, part.orders, source="CSV" if is_csv else "JSON"
                        )
                    for key in ("stored", "updated", "duplicates"):
                        totals[key] += getattr(report, key)
                    for status, count in report.match.items():
                        statuses[status] = statuses.get(status, 0) + count
                except HubError as exc:
                    totals["failed"] += max(1, len(part.orders))
                    progress.console.print(
                        f"{part.where}: refused: {exc.message}", soft_wrap=True, markup=False, style="red"
                    )
                progress.update(task, completed=handle.count)
        except HubError as exc:  # the file stopped being readable: what came before it is stored
            totals["failed"] += 1
            progress.console.print(f"refused: {exc.message}", soft_wrap=True, markup=False, style="red")
        progress.update(task, completed=size)
    matched = ", ".join(f"{count} {status.lower()}" for status, count in sorted(statuses.items()))
    console.print(
        f"{totals['stored']} orders stored, {totals['updated']} updated, {totals['duplicates']} duplicates, "
        f"{totals['failed']} refused; match: {matched or 'none'}"
    )
    if totals["failed"]:
        raise typer.Exit(1)


def _serve(settings: Settings, host: str, port: int) -> None:
    from hub.app import SERVER_OPTIONS, create_app
    from ledger.chain import ChainError

    try:
        application = create_app(settings)
    except ChainError as exc:  # the embedded chain is another process's: one line, not a traceback
        err.print(f"[red]hub serve cannot start:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    collector.tune()
    uvicorn.run(application, host=host, port=port, log_config=None, **SERVER_OPTIONS)


@app.command()
def serve(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Run the hub (run `hub db upgrade` first)."""
    _serve(_settings(), host, port)


@app.command()
def demo(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Migrate, load the demo scenario, print a key per demo organisation, and run the hub."""
    from hub.state import ceb_signer
    from ledger.runtime import Ledger
    from seeds import loader

    settings = _settings()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        orgs = loader.load(session)
        loader.commerce(session, orgs, ceb_signer(settings))
        keys = loader.issue_demo_keys(session, orgs, settings.key_pepper.get_secret_value())
    # The financed receivable is decided on chain: connect for it, then let the server take the chain over.
    ledger = Ledger(settings, engine)
    try:
        ledger.connect()
        with session_scope(engine) as session:
            loader.finance(session, orgs, ledger, settings.finance_blinding_key.get_secret_value())
    finally:
        ledger.chain.close()
    engine.dispose()
    console.print("[bold]Demo keys[/bold] (new on every run; earlier demo keys are revoked):")
    for key in keys:
        # Plain lines, never truncated: people copy these.
        print(f"{key.organisation:<30} {key.org_type:<14} {key.token}")
    console.print(f"GraphQL: http://{host}:{port}/graphql  (send 'Authorization: Bearer <key>')")
    console.print(f"Console: http://{host}:{port}/  (sign in with one of the keys above)")
    _serve(settings, host, port)


if __name__ == "__main__":
    app()
