"""docs/deploy.md, followed step by step on loopback, then one chat booked over HTTP.

    .venv/bin/python bench/deploy_recipe.py

The steps are read from docs/deploy.md itself, so the recipe cannot drift from the docs: the
commands of "First run" are run in order, exactly as written (with `python` meaning this
checkout's .venv), the processes of step 6 are the commands in "What runs", and every variable
"Environment" exports must be set here. A step or a variable the recipe does not know fails it.

Around them: PostgreSQL (127.0.0.1:5432, a throwaway database), Redis (127.0.0.1:6379, database 5
or RECIPE_REDIS_URL), moto's S3 server for media, an aiosmtpd server, all on 127.0.0.1 with free
ports, under config.settings.production with TASKS_BACKEND=rq and TRUSTED_PROXY_COUNT=1. Every
request carries what a TLS-terminating proxy adds (X-Forwarded-Proto, X-Forwarded-For), so
SECURE_SSL_REDIRECT stays on. Two app servers (the documented web command, twice) share
everything. A partner and an offer are added as staff would, a chat is booked through the real
form with each request sent to the other app server, and the booker's confirmation must arrive
with its invite (invite.ics, METHOD:REQUEST, the booked start), the partner's too, with nothing
the booker wrote about their project in either; then both app servers answer the home page from
the shared page cache and show a publish from another process on the next request. Every wait
is bounded; everything is stopped and the database dropped at the end. Exits non-zero on any
failure (CI runs it: .ci/run).
"""

import email
import http.client
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from datetime import datetime
from email import policy
from urllib.parse import urlencode

import icalendar
from aiosmtpd.controller import Controller
from booking_http import Session, hidden_fields
from services import BIN, PY, ROOT, Processes, free_port, production_env, psql

DOCS = ROOT / "docs" / "deploy.md"
REDIS_URL = os.environ.get("RECIPE_REDIS_URL", "redis://127.0.0.1:6379/5")
PG = os.environ.get("RECIPE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
VISITOR = "192.0.2.44"  # the address the proxy says the visitor has (a documentation range)
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": VISITOR}
PRIVATE_NOTE = "Planning a peer support pilot with the Larch Ward team."
# Variables "Environment" exports that have no loopback counterpart, and why.
NOT_ON_LOOPBACK = {
    "EMAIL_USE_TLS": "the loopback SMTP server speaks plain SMTP",
    "EMAIL_HOST_USER": "the loopback SMTP server asks for no sign-in",
    "EMAIL_HOST_PASSWORD": "the loopback SMTP server asks for no sign-in",
}

STAFF_SETUP = """
from datetime import time, timedelta
import recurrence
from django.contrib.auth import get_user_model
from django.utils import timezone
from bookings.journey.pages import BookingPage
from bookings.models import AvailabilityRule, Offer, Partner
from home.models import LadderRung
from tests.support.slots import available_slots
user = get_user_model().objects.create_user("recipe-partner", email="partner@example.org")
partner = Partner.objects.create(display_name="Recipe Partner", user=user, max_chats_per_day=None,
                                 max_chats_per_week=None, rest_minutes=0)
AvailabilityRule.objects.create(partner=partner, start_time=time(9), end_time=time(17),
    starts_on=timezone.localdate() - timedelta(days=1),
    recurrence=recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.DAILY)]))
offer = Offer.objects.create(title="A first chat", duration_minutes=30)
offer.partners.add(partner)
rung = LadderRung.objects.create(name="Co-production", explanation="Sharing power as equals.")
now = timezone.now()
slot = next(iter(available_slots(offer, now, now + timedelta(days=30), now)))
print(offer.pk, rung.pk, BookingPage.objects.live().get().url,
      slot.start.isoformat().replace("+00:00", "Z"))
"""


# --- Reading docs/deploy.md -------------------------------------------------------------------


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of level 2 or 3."""
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#{{2,3}} |\Z)", text, re.M | re.S)
    if not match:
        raise SystemExit(f"docs/deploy.md has no {heading!r} section")
    return match.group(1)


def first_run_steps(text: str) -> list[tuple[int, str, str]]:
    """The numbered list of "First run": (number, the code the step starts with or "", its text)."""
    body = section(text, "## First run")
    steps = []
    for number, item in re.findall(r"^(\d+)\. (.+(?:\n {3}.+)*)", body, re.M):
        code = re.match(r"`([^`]+)`", item)
        steps.append((int(number), code.group(1) if code else "", " ".join(item.split())))
    if [n for n, _, _ in steps] != list(range(1, len(steps) + 1)):
        raise SystemExit(f"docs/deploy.md, First run: steps are not numbered 1..n: {steps}")
    return steps


def process_commands(text: str) -> dict[str, str]:
    """The "What runs" commands: web (gunicorn), the RQ task worker, the scheduler."""
    rows = {}
    for line in section(text, "## What runs").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2:
            rows[cells[0]] = re.findall(r"`([^`]+)`", cells[1])
    try:
        return {
            "web": rows["web"][0],
            "worker": next(c for c in rows["task worker"] if " rqworker " in c),
            "scheduler": rows["scheduler"][0],
        }
    except (KeyError, IndexError, StopIteration) as exc:
        raise SystemExit(
            f"docs/deploy.md, What runs: no web, RQ worker or scheduler command ({exc!r})"
        ) from exc


def documented_variables(text: str) -> set[str]:
    block = re.search(r"```sh\n(.*?)```", section(text, "## Environment"), re.S).group(1)
    exports = [line.split("#")[0] for line in block.splitlines() if line.startswith("export ")]
    return {name for line in exports for name in re.findall(r"\b([A-Z][A-Z0-9_]*)=", line)}


def argv(command: str, web_port: int) -> list[str]:
    """A documented command as this checkout runs it: `python` and `gunicorn` from .venv, the
    web server bound to the recipe's free port instead of the documented 127.0.0.1:8000."""
    words = shlex.split(command)
    if words[0] == "gunicorn":
        bind = words.index("--bind") + 1
        if words[bind] != "127.0.0.1:8000":
            raise SystemExit(f"docs/deploy.md: gunicorn binds {words[bind]}, expected 127.0.0.1:8000")
        words[0], words[bind] = str(BIN / "gunicorn"), f"127.0.0.1:{web_port}"
    elif words[:2] == ["python", "manage.py"]:
        words[0] = PY
    else:
        raise SystemExit(f"docs/deploy.md: the recipe does not know how to run {command!r}")
    return words


# --- Mail -------------------------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.extend((rcpt, message) for rcpt in envelope.rcpt_tos)
        return "250 Message accepted"


def check_invite(message, start: datetime):
    """The booker's confirmation: an invite.ics asking to add the booked chat (iTIP REQUEST)."""
    files = [part for part in message.walk() if part.get_filename() == "invite.ics"]
    assert len(files) == 1, f"the booker's email has {len(files)} invite.ics attachments"
    calendar = icalendar.Calendar.from_ical(files[0].get_content())
    assert calendar["METHOD"] == "REQUEST", calendar.get("METHOD")
    events = calendar.walk("VEVENT")
    assert len(events) == 1 and events[0].decoded("DTSTART") == start, (events, start)
    return message["Subject"]


# --- The recipe -------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    docs = DOCS.read_text()
    steps = first_run_steps(docs)
    commands = process_commands(docs)
    db_name = f"deploy_recipe_{os.getpid()}"
    psql(f"CREATE DATABASE {db_name}")
    services = Processes()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    s3_port, web_port, second_port = free_port(), free_port(), free_port()
    origin = f"https://127.0.0.1:{web_port}"  # as the proxy presents the site
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=origin,
        SITE_URL=origin,
        DATABASE_URL=f"{PG}/{db_name}",
        REDIS_URL=REDIS_URL,
        TASKS_BACKEND="rq",
        TRUSTED_PROXY_COUNT="1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_TIMEOUT="10",
        BOOKINGS_MAILBOX="bookings@example.org",
        AWS_STORAGE_BUCKET_NAME="recipe-media",
        AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}",
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="recipe",
        AWS_SECRET_ACCESS_KEY="recipe-secret",  # noqa: S106 (moto's throwaway server)
        BOOTSTRAP_SUPERUSER_USERNAME="admin",
        BOOTSTRAP_SUPERUSER_EMAIL="admin@example.org",
        BOOTSTRAP_SUPERUSER_PASSWORD=secrets.token_urlsafe(24),
    )
    missing = documented_variables(docs) - env.keys() - NOT_ON_LOOPBACK.keys()
    if missing:
        raise SystemExit(f"docs/deploy.md, Environment: the recipe does not set {sorted(missing)}")

    def run(words, label):
        t0 = time.monotonic()
        out = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        if out.returncode:
            print(out.stdout, out.stderr, sep="\n")
            raise SystemExit(f"{label} failed with exit status {out.returncode}")
        print(f"$ {label}  ({time.monotonic() - t0:.1f} s)", flush=True)
        return out.stdout

    try:
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)
        moto = services.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)], env)
        services.wait_port(s3_port, moto)
        run(
            [
                PY,
                "-c",
                "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',"
                " aws_access_key_id='recipe', aws_secret_access_key='recipe-secret')"
                ".create_bucket(Bucket='recipe-media')",
                env["AWS_S3_ENDPOINT_URL"],
            ],
            "create the media bucket",
        )
        offer_id = rung_id = page_url = slot = ""
        for number, code, text in steps:
            if code == "pip install -e .":
                print(f"{number}. {code}: already done (.ci/run installs this checkout into .venv)")
            elif code.startswith("python manage.py "):
                print(f"{number}. {code}")
                lines = run(argv(code, web_port), code).rstrip().splitlines()
                print(*(lines if len(lines) <= 12 else ["   ...", *lines[-3:]]), sep="\n")
                if code == "python manage.py bootstrap_site":
                    # The step says running it again changes nothing.
                    again = run(argv(code, web_port), f"{code} (again)")
                    assert "Nothing changed." in again, again
            elif not code and text.startswith("Start gunicorn"):
                print(f"{number}. {text}")
                for name, command in commands.items():
                    print(f"   {command}")
                    proc = services.start(name, argv(command, web_port), env)
                    if name == "web":
                        web = proc
                        # A second app server behind the same load balancer, sharing everything.
                        print(f"   {command}  (a second app server)")
                        second = services.start("web-2", argv(command, second_port), env)
                services.wait_port(web_port, web)
                services.wait_port(second_port, second)
            elif not code and text.startswith("Sign in at `/admin/`"):
                print(f"{number}. {text[:60]}...: as staff would, a partner, an offer and a rung")
                output = run(argv("python manage.py shell -c", web_port) + [STAFF_SETUP], "staff setup")
                offer_id, rung_id, page_url, slot = output.splitlines()[-1].split()
            else:
                raise SystemExit(
                    f"docs/deploy.md, First run, step {number}: not known to the recipe: {text!r}"
                )
        assert page_url, "docs/deploy.md, First run: no step started the site and signed in"
        book(web_port, second_port, page_url, offer_id, rung_id, slot)
        print(
            f"booked a chat at {slot} over HTTP behind the proxy headers, each request to the other "
            f"app server ({time.monotonic() - started:.0f} s)"
        )
        check_proxy_address()
        check_page_cache([web_port, second_port], env)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(inbox.messages) < 2:
            services.check_alive()
            time.sleep(0.25)
        received = dict(inbox.messages)
        assert sorted(received) == ["booker@example.org", "partner@example.org"], inbox.messages
        for rcpt, message in inbox.messages:
            assert PRIVATE_NOTE not in message.as_string(), f"the project note went into {rcpt}'s email"
        subject = check_invite(received["booker@example.org"], datetime.fromisoformat(slot))
        print(f"emails received: {sorted(received)}; the booker's ({subject!r}) has invite.ics for {slot}")
        print(f"deploy recipe: OK in {time.monotonic() - started:.0f} s")
        return 0
    except BaseException:
        services.show_logs()
        raise
    finally:
        stopping = time.monotonic()
        services.stop_all()
        smtp.stop()
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], capture_output=True)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db_name}"], timeout=120)
        print(f"stopped everything and dropped the database ({time.monotonic() - stopping:.1f} s)")


def book(web_port, second_port, page_url, offer_id, rung_id, slot):
    """The booking journey as a browser behind the proxy takes it; plain HTTP is sent to HTTPS.

    The load balancer sends each request to the other app server, so the session, the CSRF
    token and the signed form stamp made on one are checked on the other."""
    status, location, _ = Session(web_port).request("GET", "/")
    assert status == 301 and location == f"https://127.0.0.1:{web_port}/", (status, location)
    browser = Session(
        web_port,
        headers=PROXY_HEADERS,
        ports=[web_port, second_port],
    )
    for url in ("/", page_url):
        status, _, html = browser.request("GET", url)
        assert status == 200, (url, status)
    query = urlencode({"offer": offer_id, "partner": "any", "start": slot, "tz": "Europe/London"})
    status, _, html = browser.request("GET", f"{page_url}details/?{query}")
    assert status == 200, (status, html[:300])
    time.sleep(3.2)  # a person takes longer than BOOKING_MIN_FILL_SECONDS (3 s by default)
    form = hidden_fields(html)
    form.update(
        name="Recipe Booker",
        email="booker@example.org",
        organisation="Example NHS Trust",
        role="Nurse",
        project_description=PRIVATE_NOTE,
        ladder_rung=rung_id,
        format="video",
        access_needs="",
        privacy="on",
        website="",
    )
    status, location, html = browser.request("POST", f"{page_url}details/", urlencode(form))
    assert status == 302 and location.endswith("check/"), (status, location, html[:800])
    status, _, html = browser.request("GET", f"{page_url}check/")
    assert status == 200, status
    status, location, _ = browser.request("POST", f"{page_url}check/", urlencode(hidden_fields(html)))
    assert status == 302 and "/done/" in location, (status, location)


def get_page(port, host_port, url="/"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", url, headers={"Host": f"127.0.0.1:{host_port}", **PROXY_HEADERS})
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, resp.getheader("X-Page-Cache", ""), body


def check_page_cache(ports, env):
    """Both app servers answer the home page from the one shared cache, and a publish from
    another process (an editor in the admin) shows on the very next request to each."""
    for port in ports:
        answers = [get_page(port, ports[0]) for _ in range(3)]
        assert all(status == 200 and hit == "hit" for status, hit, _ in answers), (port, answers[0][:2])
    marker = secrets.token_hex(4)
    script = (
        "from wagtail.models import Site\n"
        "page = Site.objects.get(is_default_site=True).root_page.specific\n"
        f"page.title = 'Recipe home {marker}'\n"
        "page.save_revision().publish()\n"
    )
    subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, timeout=300)
    for port in ports:
        status, _, body = get_page(port, ports[0])
        assert status == 200 and marker in body, f"app server on {port} still shows the old home page"
    print("page cache: both app servers answered from the shared cache; a publish showed on the next")
    print("request to each")


def check_proxy_address():
    """TRUSTED_PROXY_COUNT=1 took the visitor's address from X-Forwarded-For: the booking rate
    limit counted it, not the loopback address the proxy connects from."""
    keys = subprocess.run(
        ["redis-cli", "-u", REDIS_URL, "--scan", "--pattern", "*ratelimit:booking:*"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    assert keys and all(f":booking:{VISITOR}:" in key for key in keys), keys


if __name__ == "__main__":
    sys.exit(main())
