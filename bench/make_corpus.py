"""Generate a site of N synthetic Danish articles in kommunenyt's own format.

Used by the benchmarks; deterministic for a given seed, so runs compare like with like.

    python bench/make_corpus.py /tmp/site10k --articles 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

SECTIONS = ["Nyheder", "Sikkerhed", "Udbud", "Digitalisering", "Drift", "Sundheds-it"]
TAGS = [
    "KL", "KMD", "NIS2", "Cloud", "AI", "GDPR", "Outsourcing", "Backup", "MitID", "Økonomi",
    "Ældrepleje", "Skole-it", "Open source", "Netværk", "Phishing", "Borgerservice",
]  # fmt: skip
TOWNS = ["Køge", "Ærø", "Helsingør", "Roskilde", "Høje-Taastrup", "Aalborg", "Århus", "Odense"]
AUTHORS = ["Mette Lindberg", "Jonas Kjærgaard", "Sofie Østergaard", "Anders Bech Nørgaard"]
WORDS = [
    "kommunen",
    "it-afdelingen",
    "systemet",
    "leverandøren",
    "borgerne",
    "udbuddet",
    "driften",
    "sikkerheden",
    "medarbejderne",
    "løsningen",
    "projektet",
    "budgettet",
    "direktionen",
    "data",
    "kontrakten",
    "serverne",
    "har",
    "vil",
    "skal",
    "kan",
    "bliver",
    "valgt",
    "afprøvet",
    "indført",
    "udskudt",
    "samlet",
    "flyttet",
    "styrket",
]


def sentence(rng: random.Random, words: int = 12) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(3, 6)))


def article(rng: random.Random, index: int, date: dt.datetime) -> str:
    town = rng.choice(TOWNS)
    title = f"{town} {rng.choice(['samler', 'udbyder', 'styrker', 'flytter'])} {index}"
    tags = rng.sample(TAGS, rng.randint(1, 3))
    body = [paragraph(rng), "## Baggrund", paragraph(rng)]
    body.append(f"- {sentence(rng, 10)[:-1]}, siger {rng.choice(AUTHORS)}.")
    body += [paragraph(rng), paragraph(rng)]
    return "\n".join(
        [
            "---",
            f"title: {title}",
            f"date: {date:%Y-%m-%d %H:%M}",
            f"lead: {sentence(rng, 18)}",
            f"section: {rng.choice(SECTIONS)}",
            f"tags: [{', '.join(tags)}]",
            f"authors: [{rng.choice(AUTHORS)}]",
            "---",
            "",
            "\n\n".join(body),
            "",
        ]
    )


def make_site(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """Write site.toml, authors and `count` articles; return the article paths."""
    rng = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "content" / "pages").mkdir(parents=True)
    (folder / "site.toml").write_text(
        '[site]\ntitle = "Benchmark"\nbase_url = "https://bench.example/"\n', encoding="utf-8"
    )
    (folder / "content" / "pages" / "om.md").write_text(
        "---\ntitle: Om\n---\n\nEt benchmark-site.\n", encoding="utf-8"
    )
    paths = []
    start = dt.datetime(2015, 1, 1, 8, 0)
    for index in range(count):
        date = start + dt.timedelta(minutes=index * 397)
        path = folder / "content" / "articles" / str(date.year) / f"artikel-{index:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(rng, index, date), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    make_site(args.folder, args.articles, args.seed)
    print(f"{args.articles} articles in {args.folder}")


if __name__ == "__main__":
    main()
