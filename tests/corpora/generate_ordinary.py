#!/usr/bin/env python3
"""Writes ordinary.txt: memory lines that hold no secret (deterministic).

Hand-written lines of the kinds a memory store holds (preferences, facts,
workflows, recurring mistakes), many of them close calls for a secret
scanner: they talk about tokens, keys, passwords, hashes, ids, versions,
paths and addresses. Then templated lines fill in names and numbers.
"""
import random
from pathlib import Path

rng = random.Random(7)
HERE = Path(__file__).parent

LINES = """
The user prefers short answers with a summary first.
Use metric units in every report.
Dates are written day-month-year, e.g. 6 December 2026.
Keep the API key in Settings; never paste it into a file or a chat.
The password reset page lives at /account/reset.
Set max_tokens: 4096 for long reports and 1024 for summaries.
The token budget for a nightly dream is 20000 tokens.
The tokenizer counts about four characters per token for English.
auth: oauth2 with PKCE for the mobile app.
password: stored in the keychain, never in the repository
The API key field in Settings shows only the last four characters.
Rotate credentials every 90 days, as the security policy says.
Run `cargo test --workspace` before committing.
Run cargo fmt before pushing; CI fails on formatting.
The build breaks when the lock file is stale: run npm ci, not npm install.
Commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixed the flaky login test.
The release tag is v2.14.3 and the previous one was v2.14.2.
The session id format is a ULID like 01JEXAMPLE0000000000000000.
Order ids look like ORD-2026-004512.
The user's timezone is Europe/Lisbon.
Invoices go out on the first working day of the month.
The staging server is staging.example.com; production is app.example.com.
Send weekly reports to the team channel #reports, not by e-mail.
The user likes tables for comparisons and bullet lists for steps.
Avoid jargon: the readers are not developers.
The customer's account number format is 10 digits; never guess one.
A refund above 500 euros needs a manager's approval.
The key insight from last week: check the cache before calling the API.
Keyboard shortcuts: Ctrl+K opens search, Ctrl+Shift+P the command palette.
The primary key of the orders table is order_id.
Foreign keys are enforced in SQLite with PRAGMA foreign_keys = ON.
The SSH key for deploys is managed by the ops team; ask them for access.
Use the public key fingerprint to verify the host before connecting.
The sha256 of the installer is published next to the download.
The checksum file is SHA256SUMS in the release folder.
The session cookie expires after 30 minutes of inactivity.
The CSRF token is read from the meta tag on each page.
Tokens per second on the local model are about 40.
The login flow redirects to /callback after the identity provider answers.
The user writes in British English: colour, organise, centre.
Prefer pnpm for the web workspace; npm for the tests folder.
The test database is reset by scripts/reset-db.sh before each run.
Never run migrations on production without a backup first.
Backups run at 02:00 and are kept for 30 days.
The auth header name is Authorization; the scheme is Bearer.
Secrets live in the team vault; the agent never needs them.
If a command asks for a password, stop and ask the user.
The user's manager is Dana Reyes; her team is Platform.
Ship notes go to releases@example.com after the tag is pushed.
The design system uses an 8 px grid and Inter as the typeface.
Error budget for the API is 0.1% of requests per month.
p95 latency target for search is 300 ms.
Page size for list endpoints is 50; the maximum is 200.
The rate limit is 100 requests per minute per API key.
Retry 429 responses after the retry-after header, never sooner.
A 401 from the billing API means the key expired; tell the user.
The user prefers dark mode screenshots in documentation.
Write commit messages in the imperative mood.
Use ISO 8601 timestamps in logs, in UTC.
The monorepo has three packages: core, cli and web.
Python code follows Black with a line length of 100.
Tabs, not spaces, in Go files; gofmt decides.
When tests fail only in CI, compare the locale and the timezone first.
The flaky test is test_upload_retry; it depends on wall-clock time.
The user reads answers on a phone in the morning: keep them short.
The monthly report compares revenue, churn and active users.
Churn is computed on paying accounts only.
The free tier allows 3 projects and 1 GB of storage.
The office wifi network is called Harbour-Guest.
Meeting notes go to the shared drive under /Team/Notes/2026.
The user does not want calendar invites before 10:00.
Lunch orders for the team go in the #food channel.
The product name is written Reverie, with a capital R.
Spell the company name as Northwind, one word.
The quarterly review is in the second week of January.
The travel policy allows economy class for flights under six hours.
Expense reports need receipts above 25 euros.
The vendor's support portal is support.vendor.example.
The agent should check /memories/_index.md before starting work.
Recurring mistake: the agent forgot to run the linter before answering.
Shortcut: generate the changelog with git log --oneline v2.14.2..HEAD.
Workflow: draft, self-check against the rubric, then answer.
The grader marks answers over 300 words as too long.
Summaries start with the conclusion, then the evidence.
Quote sources with a link and the date read.
Prefer official documentation over blog posts.
The user asked to be called Sam.
Sam is vegetarian; suggest restaurants with vegetarian menus.
Sam's flights leave from Lisbon (LIS).
Hotel preference: quiet room, high floor, no breakfast.
Use the 24-hour clock.
Currency amounts are in euros unless the user says otherwise.
The invoice template is in /Templates/invoice-2026.docx.
The webhook endpoint for builds is /hooks/build, verified by signature.
Signing keys are rotated by the platform team, not by agents.
Encryption at rest uses AES-256 via the cloud provider.
The public API is documented at docs.example.com/api.
API version 2023-06-01 is pinned in every request.
The model is claude-sonnet-4-5 for drafts and haiku for quick checks.
Temperature 0.2 for code, 0.7 for brainstorming.
The context window of the local model is 8192 tokens.
The GPU has 24 GB of memory; models above 13B need quantisation.
Use Q4_K_M quantisation for the 7B model.
The embeddings dimension is 384.
The vector index is rebuilt nightly at 03:30.
Disk usage alert fires at 85%.
The on-call rotation changes every Monday at 09:00.
Incident reports use the template in /Docs/incident.md.
Postmortems are blameless and due within five working days.
A password manager is required for all staff accounts.
Two-factor authentication is required on the admin panel.
The admin panel is at /admin and needs the admin role.
Role names: viewer, editor, admin.
Editors can publish; viewers can only comment.
Guest accounts expire after 14 days.
The user keeps personal notes in Obsidian; do not write there.
The reading list lives in /memories/reading.md.
The agent must never delete files outside the workspace folder.
Large files (over 100 MB) go to the shared storage bucket, not git.
The git default branch is main.
Feature branches are named feature/short-description.
Pull requests need one approval and green CI.
Squash merge is the default.
The changelog follows Keep a Changelog.
Semantic versioning: breaking changes bump the major version.
The user wants a weekly digest every Friday afternoon.
Digest format: three wins, three risks, next week's focus.
Spreadsheets: freeze the header row and use filters.
Charts: label axes and start the y-axis at zero.
Numbers: thousands separated with a thin space in reports.
Use "per cent" in prose and % in tables.
Translation: Portuguese texts use European Portuguese.
The support team answers within one working day.
Escalate tickets tagged urgent to the on-call engineer.
Customer names are never copied into public issues.
Personal data stays in the EU region.
Logs are kept for 30 days, then deleted.
The analytics tool is self-hosted; no third-party trackers.
Feature flags are managed in flags.yaml.
The flag new_checkout is on for 10% of users.
A/B tests run for at least two weeks.
The user dislikes exclamation marks in e-mails.
Sign e-mails with "Best, Sam".
Open questions go at the end of a document, not inline.
Token counts in reports are rounded to the nearest thousand.
The secret to fast builds here is sccache and a shared target folder.
Password rules: at least 12 characters, checked against breach lists.
The key rotation script is scripts/rotate-keys.sh; only ops runs it.
The token endpoint is /oauth/token and returns JSON.
API keys are scoped per project.
The access token lifetime is one hour; refresh tokens last 30 days.
Keys in the config file are sorted alphabetically.
The translation keys live in locales/en.json.
Cache keys include the user's locale.
The lookup key is the customer's e-mail address, lower-cased.
Hash passwords with argon2id; never store them in plain text.
The credential helper for git is the system keychain.
Auth errors are logged without the request body.
The session secret is generated at start-up and never logged.
Private keys never leave the hardware token.
The license key for the PDF library is managed by procurement.
""".strip().splitlines()

names = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Farah", "Gus", "Hana", "Ivo", "Jun"]
cities = ["Lisbon", "Porto", "Berlin", "Madrid", "Paris", "Dublin", "Oslo", "Rome"]
tools = ["pytest", "cargo", "npm", "make", "gradle", "terraform", "ansible", "kubectl"]
topics = ["billing", "search", "login", "uploads", "exports", "notifications", "reports", "sync"]
templates = [
    lambda: f"{rng.choice(names)} prefers meetings in the afternoon and agendas a day before.",
    lambda: f"Flights for {rng.choice(names)} should leave from {rng.choice(cities)} after 09:00.",
    lambda: f"Recurring mistake: {rng.choice(tools)} was run from the wrong folder; cd into the project first.",
    lambda: f"The {rng.choice(topics)} service owns its own database; ask its team before changing the schema.",
    lambda: f"Issue #{rng.randint(100, 9999)} tracks the {rng.choice(topics)} bug; link it in related answers.",
    lambda: f"The {rng.choice(topics)} dashboard refreshes every {rng.choice([5, 10, 15, 30])} minutes.",
    lambda: f"Version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)} of {rng.choice(tools)} fixed the timeout in {rng.choice(topics)}.",
    lambda: f"Token usage for the {rng.choice(topics)} agent averaged {rng.randint(2, 90)}k per day last week.",
    lambda: f"The {rng.choice(topics)} API key is issued per environment by the platform team.",
    lambda: f"Shortcut: `{rng.choice(tools)} {rng.choice(['test', 'build', 'lint', 'check'])} --quiet` is enough for a quick check.",
    lambda: f"{rng.choice(names)} approves {rng.choice(topics)} changes; mention them in the pull request.",
    lambda: f"Build {rng.randint(1000, 99999)} failed on a missing environment variable; the fix was documented in the README.",
]
seen = set(LINES)
extra = []
while len(extra) < 170:
    line = rng.choice(templates)()
    if line not in seen:
        seen.add(line)
        extra.append(line)
out = LINES + extra
(HERE / "ordinary.txt").write_text("\n".join(out) + "\n")
print(f"{len(out)} ordinary lines")
