#!/usr/bin/env python3
"""Generates the secret-scanner corpora (deterministic; seed fixed):

- secrets.jsonl: {"kind", "text"}: a made-up credential of a real format
  (the shapes providers document) inside the kind of line people paste
  into chats and notes: env files, configs, code, prose.
- ordinary.txt: memory lines with no secret, many of them close calls
  (they talk about tokens, keys, passwords, hashes, ids and addresses).

Every value is random: none is a real credential. Run it again after
editing; the tests read the files it writes.
"""
import base64, json, random, string, uuid
from pathlib import Path

rng = random.Random(20261206)
HERE = Path(__file__).parent
UP, LO, DI = string.ascii_uppercase, string.ascii_lowercase, string.digits
AN = UP + LO + DI
HEX = "0123456789abcdef"
B64 = AN + "+/"
URLSAFE = AN + "-_"

def r(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))

def b64url(n):
    return base64.urlsafe_b64encode(bytes(rng.getrandbits(8) for _ in range(n))).decode().rstrip("=")

def jwt():
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": str(rng.randint(10**6, 10**7)), "name": "Ana", "iat": 1700000000 + rng.randint(0, 10**6)}).encode()).decode().rstrip("=")
    return f"{head}.{body}.{b64url(32)}"

def pem(kind):
    body = "\n".join(r(B64, 64) for _ in range(rng.randint(4, 8)))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n{r(B64, 20)}==\n-----END {kind}PRIVATE KEY-----"

def password():
    words = ["Sunset", "river", "Blue", "falcon", "Maple", "orbit", "Tango", "cobalt", "Harbor", "velvet"]
    style = rng.randint(0, 3)
    if style == 0:
        return rng.choice(words) + r(DI, rng.randint(2, 4)) + rng.choice("!#$%&*?@")
    if style == 1:
        return r(AN + "!#%&*", rng.randint(12, 20))
    if style == 2:
        return "-".join(rng.choice(words).lower() for _ in range(4)) + r(DI, 2)
    return r(LO, 3) + r(DI, 3) + r(UP, 2) + r(LO + DI, 4)

# kind -> a function giving the bare credential (or a ready line when it
# makes no sense outside its own syntax).
KINDS = {
    "anthropic api key": lambda: f"sk-ant-api03-{r(URLSAFE, 93)}AA",
    "openai project key": lambda: f"sk-proj-{r(URLSAFE, 64)}T3BlbkFJ{r(URLSAFE, 64)}",
    "openai legacy key": lambda: f"sk-{r(AN, 20)}T3BlbkFJ{r(AN, 20)}",
    "github classic token": lambda: f"ghp_{r(AN, 36)}",
    "github fine-grained token": lambda: f"github_pat_{r(AN, 22)}_{r(AN, 59)}",
    "github app token": lambda: f"ghs_{r(AN, 36)}",
    "github oauth token": lambda: f"gho_{r(AN, 36)}",
    "gitlab token": lambda: f"glpat-{r(URLSAFE, 20)}",
    "aws access key id": lambda: "AKIA" + r(UP + "234567", 16),
    "aws secret access key": lambda: ("aws_secret_access_key", r(B64, 40)),
    "slack bot token": lambda: f"xoxb-{r(DI, 12)}-{r(DI, 13)}-{r(AN, 24)}",
    "slack user token": lambda: f"xoxp-{r(DI, 12)}-{r(DI, 12)}-{r(DI, 13)}-{r(HEX, 32)}",
    "slack webhook": lambda: f"https://hooks.slack.com/services/T{r(UP + DI, 10)}/B{r(UP + DI, 10)}/{r(AN, 24)}",
    "stripe secret key": lambda: f"sk_live_{r(AN, 99)}",
    "stripe restricted key": lambda: f"rk_live_{r(AN, 99)}",
    "twilio api key": lambda: f"SK{r(HEX, 32)}",
    "sendgrid api key": lambda: f"SG.{r(URLSAFE, 22)}.{r(URLSAFE, 43)}",
    "mailgun key": lambda: ("mailgun_api_key", f"key-{r(HEX, 32)}"),
    "google api key": lambda: f"AIza{r(URLSAFE, 35)}",
    "npm token": lambda: f"npm_{r(AN, 36)}",
    "pypi token": lambda: f"pypi-AgEIcHlwaS5vcmc{r(URLSAFE, 60)}",
    "docker hub token": lambda: f"dckr_pat_{r(URLSAFE, 27)}",
    "shopify access token": lambda: f"shpat_{r(HEX, 32)}",
    "digitalocean token": lambda: f"dop_v1_{r(HEX, 64)}",
    "hugging face token": lambda: f"hf_{r(UP + LO, 34)}",
    "json web token": jwt,
    "rsa private key": lambda: pem("RSA "),
    "ec private key": lambda: pem("EC "),
    "openssh private key": lambda: pem("OPENSSH "),
    "pkcs8 private key": lambda: pem(""),
    "postgres url": lambda: f"postgres://app_user:{password()}@db.internal.example:5432/app",
    "mongodb url": lambda: f"mongodb+srv://admin:{password()}@cluster0.{r(LO, 5)}.mongodb.net/prod",
    "redis url": lambda: f"redis://default:{r(AN, 24)}@cache.example.net:6379/0",
    "env password": lambda: ("DB_PASSWORD", password()),
    "env secret": lambda: ("JWT_SECRET", r(AN, 32)),
    "env token": lambda: ("GITHUB_TOKEN", f"ghs_{r(AN, 36)}"),
    "api key assignment": lambda: ("api_key", r(HEX, 32)),
    "client secret": lambda: ("client_secret", r(URLSAFE, 40)),
    "password phrase": lambda: ("phrase", password()),
    "pin phrase": lambda: ("pin", r(DI, rng.choice([4, 6]))),
    "bearer header": lambda: f"Authorization: Bearer {r(URLSAFE, 40)}",
    "vault token": lambda: f"hvs.{r(URLSAFE, 90)}",
    "age secret key": lambda: "AGE-SECRET-KEY-1" + r("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "telegram bot token": lambda: ("telegram_bot_token", f"{r(DI, 10)}:AA{r(URLSAFE, 33)}"),
    "discord bot token": lambda: ("discord_token", f"M{r(AN, 23)}.{r(URLSAFE, 6)}.{r(URLSAFE, 38)}"),
    "linear api key": lambda: f"lin_api_{r(AN, 40)}",
    "new relic key": lambda: f"NRAK-{r(UP + DI, 27)}",
    "postman key": lambda: f"PMAK-{r(HEX, 24)}-{r(HEX, 34)}",
    "grafana token": lambda: f"glsa_{r(AN, 32)}_{r(HEX, 8)}",
    "databricks token": lambda: f"dapi{r(HEX, 32)}",
    "pulumi token": lambda: f"pul-{r(HEX, 40)}",
    "doppler token": lambda: f"dp.pt.{r(AN, 43)}",
    "figma token": lambda: f"figd_{r(URLSAFE, 40)}",
    "atlassian token": lambda: ("jira_api_token", f"ATATT3xFfGF0{r(URLSAFE, 180)}={r(HEX, 8).upper()}"),
    "azure storage key": lambda: f"DefaultEndpointsProtocol=https;AccountName=store{r(LO, 6)};AccountKey={r(B64, 86)}==;EndpointSuffix=core.windows.net",
    "gcp service account": lambda: ("gcp_private_key", pem("")),
}

ASSIGN_STYLES = [
    lambda k, v: f"{k.upper()}={v}",
    lambda k, v: f"export {k.upper()}=\"{v}\"",
    lambda k, v: f'"{k}": "{v}",',
    lambda k, v: f"{k}: {v}",
    lambda k, v: f"  {k} = '{v}'",
]

def bare_lines(v):
    return [
        f"Use this one: {v}",
        f"The deploy script failed until I set it to {v} in the shell.",
        f"- credential for staging: {v}",
        f"curl -H 'X-Api-Key: {v}' https://api.example.com/v1/items",
        f"config.token = \"{v}\"",
    ]

def phrase_lines(kind, v):
    if kind == "pin":
        return [f"My bank PIN is {v}, don't forget it.", f"the door code / PIN: {v}", f"Remember: my pin is {v}"]
    return [f"The password is {v}", f"the wifi password for the office is {v}.", f"My password for the admin panel is \"{v}\"",
            f"password for the router: {v}"]

samples = []
for kind, make in KINDS.items():
    n = 4 if kind not in ("rsa private key", "ec private key", "openssh private key", "pkcs8 private key") else 2
    for i in range(n):
        v = make()
        if isinstance(v, tuple):
            key, value = v
            if key == "phrase":
                text = rng.choice(phrase_lines("password", value))
            elif key == "pin":
                text = rng.choice(phrase_lines("pin", value))
            elif "\n" in value:
                text = f"{key}: |\n{value}"
            else:
                text = ASSIGN_STYLES[i % len(ASSIGN_STYLES)](key, value)
        elif "\n" in v:
            text = rng.choice([f"Here is the key:\n{v}\nkeep it safe", f"{v}", f"id_rsa contents:\n{v}"])
        elif v.startswith("Authorization") or "://" in v or v.startswith("DefaultEndpoints"):
            text = rng.choice([v, f"connection: {v}", f"Noted for later: {v}"])
        else:
            text = rng.choice(bare_lines(v))
        samples.append({"kind": kind, "text": text})

with open(HERE / "secrets.jsonl", "w") as f:
    for s in samples:
        f.write(json.dumps(s) + "\n")
print(f"{len(samples)} secret samples of {len(KINDS)} kinds")
