"""The words an ask is about (``terms``): lowercase, platform abbreviations and spellings
mapped to one word (``SYNONYMS``), stop words and quantities dropped, stemmed. What the
lexical similarity of asks (``intake.similarity``) compares."""

from __future__ import annotations

import re
from collections.abc import Mapping

# -- words --------------------------------------------------------------------------------------

# Abbreviations and spellings of the same thing in platform asks, to one word (or a few).
SYNONYMS: Mapping[str, str] = {
    "pg": "postgres",
    "psql": "postgres",
    "postgresql": "postgres",
    "postgre": "postgres",
    "db": "database",
    "dbs": "database",
    "databases": "database",
    "k8s": "kubernetes",
    "kube": "kubernetes",
    "eks": "kubernetes",
    "gke": "kubernetes",
    "ns": "namespace",
    "prod": "production",
    "prd": "production",
    "live": "production",
    "stg": "staging",
    "stage": "staging",
    "preprod": "staging",
    "dev": "development",
    "env": "environment",
    "envs": "environment",
    "svc": "service",
    "svcs": "service",
    "microservice": "service",
    "repo": "repository",
    "repos": "repository",
    "cicd": "ci",
    "gha": "github actions",
    "gh": "github",
    "lb": "load balancer",
    "alb": "load balancer",
    "elb": "load balancer",
    "nlb": "load balancer",
    "loadbalancer": "load balancer",
    "cert": "certificate",
    "certs": "certificate",
    "ssl": "tls",
    "https": "tls",
    "perms": "permission",
    "perm": "permission",
    "creds": "credential",
    "o11y": "observability",
    "mem": "memory",
    "ram": "memory",
    "oom": "memory",
    "oomkilled": "memory",
    "oomkill": "memory",
    "mongo": "mongodb",
    "elasticache": "redis",
    "valkey": "redis",
    "infra": "infrastructure",
    "dd": "datadog",
    "tf": "terraform",
    "gpus": "gpu",
    "vm": "instance",
    "vms": "instance",
    "ec2": "instance",
    "min": "minute",
    "mins": "minute",
    "sec": "second",
    "secs": "second",
    "hrs": "hour",
    "spend": "cost",
    "costs": "cost",
    "expensive": "cost",
    "pricey": "cost",
    "flaky": "flake",
    "flakey": "flake",
    "flakiness": "flake",
    "flaking": "flake",
    "flakes": "flake",
    "paging": "alert",
    "paged": "alert",
    "pager": "alert",
    "alerting": "alert",
    "grafana": "dashboard",
    "logging": "log",
    "tracing": "trace",
    "autoscale": "autoscaling",
    "hpa": "autoscaling",
}

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having
    he her here hers herself him himself his how i i'm if in into is isn't it it's its itself
    let's me more most mustn't my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan't she should shouldn't so some such than that that's the
    their theirs them themselves then there there's these they they're this those through to
    too under until up very was wasn't we we're were weren't what what's when where which while
    who whom why will with won't would wouldn't you you're your yours yourself yourselves
    also just still really pretty quite kind sort lot lots bit thing things stuff something
    anything everything etc eg ie via per
    need needs needed want wants wanted would like please pls plz thanks thank thx hi hey hello
    help helping get gets getting got make makes making give gives set sets setting
    can could able way ways going go gonna let us team folks guys someone anyone everyone people
    asap urgent urgently soon quickly today tomorrow week weeks month months day days
    next last end before by new now currently right already again yet ok okay sure yes
    request requests ask asks type
    """.replace("'", "").split()  # compared without apostrophes
)

_TOKEN = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
_DOUBLE = re.compile(r"([b-df-hj-np-tv-z])\1$")


def stem(word: str) -> str:
    """A light suffix stripper (plural, -ing, -ed, -ly): enough for "builds"/"build",
    "deploying"/"deploy", "logging"/"log"; not a linguist."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)] + keep
            if suffix in ("ing", "ed") and _DOUBLE.search(base) and not base.endswith(("ll", "ss")):
                base = base[:-1]  # "logging" -> "logg" -> "log"
            return base
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_CANONICAL = frozenset(word for words in SYNONYMS.values() for word in words.split())


def _normalised_words(text: str) -> list[str]:
    words: list[str] = []
    for raw in _TOKEN.findall(text.lower().replace("’", "'")):
        raw = raw.replace("'", "").replace(".", "")
        if raw in SYNONYMS:
            words.extend(SYNONYMS[raw].split())  # already canonical: not stemmed
            continue
        if raw in STOP_WORDS or raw[0].isdigit() or len(raw) < 2:
            continue  # quantities ("40", "200gb", "5k") say how much, not what
        stemmed = raw if raw in _CANONICAL else stem(raw)
        stemmed = SYNONYMS.get(stemmed, stemmed)  # "OOMKills" -> "oomkill" -> "memory"
        words.extend(w for w in stemmed.split() if w not in STOP_WORDS)
    return words


def terms(text: str) -> list[str]:
    """The words of ``text`` that say what it is about: lowercase, abbreviations mapped
    (``SYNONYMS``), stop words and quantities dropped, stemmed. In order, with repeats."""
    return _normalised_words(text)
