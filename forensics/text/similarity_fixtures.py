"""Seeded generators of model-output sets for validating `text.similarity` (tests and benchmarks/validate_similarity).

A *claimant* set answers prompts about built-in topics with sentences assembled from the claimant's "style"
(sentence templates) and the topic's vocabulary. Respondent sets derived from it:

- **copied**: the claimant's outputs verbatim (what a straight copy or a memorising distillation gives);
- **paraphrased**: deterministic edits of the claimant's outputs: synonym swaps from a small built-in list, clause
  reordering ("X because Y" -> "Because Y, X"; halves of "X, and Y" swapped), sentence reordering and dropped
  adverbs/adjectives;
- **unrelated**: an independent answer to the same prompt on the same topic, written in a different style (other
  templates, other word choices): what an independent model answering the same questions produces;
- **partial**: a share of prompts copied, the rest unrelated;
- **off_prompt**: claimant-style answers to randomly drawn prompts, filed under the given prompts, so matched pairs
  are exactly as related as shuffled pairs: the permutation test's null hypothesis holds by construction.

Everything is a pure function of its seed, so tests and the validation table are reproducible.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

Record = dict[str, str]

# topic -> (nouns, adjectives). Nouns carry the topic, so outputs on the same topic are semantically close even
# when written independently, as real answers to the same prompt are.
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "volcanoes": (
        ("magma", "lava", "crater", "eruption", "ash cloud", "tectonic plate", "vent"),
        ("molten", "explosive", "dormant", "volcanic"),
    ),
    "photosynthesis": (
        ("chlorophyll", "sunlight", "leaf", "glucose", "carbon dioxide", "chloroplast", "oxygen"),
        ("green", "organic", "solar", "cellular"),
    ),
    "compound interest": (
        ("interest rate", "principal", "savings account", "loan", "investment", "balance"),
        ("annual", "financial", "exponential", "monthly"),
    ),
    "the french revolution": (
        ("monarchy", "republic", "bastille", "revolutionary", "aristocracy", "parliament"),
        ("political", "radical", "royal", "historic"),
    ),
    "neural networks": (
        ("neuron", "weight", "gradient", "training set", "layer", "activation function"),
        ("artificial", "deep", "nonlinear", "trainable"),
    ),
    "the water cycle": (
        ("evaporation", "rainfall", "cloud", "river", "ocean", "water vapour", "groundwater"),
        ("humid", "atmospheric", "liquid", "seasonal"),
    ),
    "vaccines": (
        ("antibody", "immune system", "virus", "vaccine", "infection", "antigen"),
        ("immune", "viral", "protective", "medical"),
    ),
    "black holes": (
        ("event horizon", "singularity", "gravity", "star", "galaxy", "light"),
        ("massive", "cosmic", "gravitational", "dense"),
    ),
    "the roman empire": (
        ("emperor", "legion", "senate", "province", "aqueduct", "rome"),
        ("imperial", "ancient", "roman", "military"),
    ),
    "climate change": (
        ("greenhouse gas", "temperature", "emission", "glacier", "carbon", "sea level"),
        ("global", "warming", "environmental", "rising"),
    ),
    "supply and demand": (
        ("price", "market", "consumer", "supplier", "shortage", "surplus"),
        ("economic", "competitive", "equilibrium", "retail"),
    ),
    "dna replication": (
        ("helix", "enzyme", "nucleotide", "polymerase", "strand", "genome"),
        ("genetic", "molecular", "complementary", "cellular"),
    ),
    "earthquakes": (
        ("fault", "seismic wave", "epicentre", "aftershock", "tremor", "seismograph"),
        ("seismic", "sudden", "destructive", "underground"),
    ),
    "the stock market": (
        ("share", "investor", "dividend", "stock exchange", "portfolio", "index fund"),
        ("volatile", "public", "speculative", "listed"),
    ),
    "machine translation": (
        ("sentence", "language pair", "translation", "encoder", "vocabulary", "corpus"),
        ("bilingual", "fluent", "automatic", "multilingual"),
    ),
    "coral reefs": (
        ("coral", "reef", "algae", "fish", "lagoon", "polyp"),
        ("tropical", "marine", "bleached", "fragile"),
    ),
    "the printing press": (
        ("printer", "book", "movable type", "ink", "pamphlet", "gutenberg"),
        ("printed", "literate", "mechanical", "medieval"),
    ),
    "electric cars": (
        ("battery", "charging station", "electric motor", "range", "lithium", "vehicle"),
        ("electric", "rechargeable", "efficient", "emission-free"),
    ),
    "sleep": (
        ("dream", "brain", "rem phase", "melatonin", "night", "memory"),
        ("restful", "deep", "circadian", "nightly"),
    ),
    "antibiotics": (
        ("bacteria", "penicillin", "infection", "resistance", "dose", "microbe"),
        ("bacterial", "resistant", "clinical", "effective"),
    ),
    "the internet": (
        ("router", "packet", "server", "protocol", "browser", "network"),
        ("digital", "online", "connected", "distributed"),
    ),
    "bees": (("hive", "pollen", "queen", "honey", "flower", "colony"), ("pollinating", "social", "wild", "busy")),
    "inflation": (
        ("price level", "central bank", "currency", "wage", "purchasing power", "interest rate"),
        ("monetary", "rising", "persistent", "economic"),
    ),
    "glaciers": (
        ("ice sheet", "moraine", "meltwater", "valley", "snowfall", "crevasse"),
        ("frozen", "glacial", "retreating", "polar"),
    ),
}

# Verbs in base form; the generator conjugates them (all regular).
VERBS = (
    "shape",
    "affect",
    "control",
    "release",
    "absorb",
    "store",
    "produce",
    "reduce",
    "support",
    "transform",
    "protect",
    "limit",
    "reveal",
    "carry",
    "depend on",
    "change",
)

CLAIMANT_ADVERBS = ("often", "usually", "quickly", "slowly", "strongly", "gradually")
CLAIMANT_TEMPLATES = (
    "The {a} {n1} {adv} {v} the {n2}.",
    "In most cases the {n1} {v} the {n2} because the {n3} is {a}.",
    "A {a} {n1} can {vb} the {n2}, and this is important for understanding the {n3}.",
    "Experts {adv} point out that the {n1} and the {n2} are closely linked.",
    "When the {n1} {v} the {n2}, the result is {adv} {a}.",
    "It is important to remember that every {n1} {v} some {n2}.",
    "The {n1} {v} the {n2} {adv}, which makes the {n3} more {a}.",
    "One important feature of the {n1} is that it {v} the {n2}.",
)
# A second, independent "writer": other templates, other adverbs. Used for unrelated answers on the same topic.
OTHER_ADVERBS = ("sometimes", "rarely", "mostly", "partly", "directly", "mainly")
OTHER_TEMPLATES = (
    "Think of the {n1} as something that {v} the {n2}.",
    "Without a {a} {n1}, there would be no {n2} at all.",
    "Scientists have studied how the {n2} {v} the {n1} for many years.",
    "Put simply, {n1} {mainly} matters for the {n2}.",
    "Historically, people {mainly} ignored the {n1} until the {n2} became {a}.",
    "Nobody fully knows whether the {n1} {v} the {n3}.",
    "Here is a short summary: {n1}, {n2} and {n3} all interact.",
    "Many textbooks describe the {n2} before they mention the {n1}.",
)
PROMPT_FORMS = (
    "Explain {t} in simple terms.",
    "What should a student know about {t}?",
    "Give a short overview of {t}.",
    "Why does {t} matter?",
    "Describe the main ideas behind {t}.",
    "Summarise what is known about {t}.",
)

# Paraphrase edits. Multi-word phrases first so they win over their parts.
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("In most cases", "Most of the time"),
    ("point out", "note"),
    ("closely linked", "tightly connected"),
    ("it is important to remember", "one should keep in mind"),
    ("It is important to remember", "One should keep in mind"),
    ("for understanding", "for grasping"),
    ("One important feature", "A key characteristic"),
    ("important", "significant"),
    ("Experts", "Specialists"),
    ("the result", "the outcome"),
    ("which makes", "which renders"),
    ("often", "frequently"),
    ("usually", "typically"),
    ("quickly", "rapidly"),
    ("slowly", "gradually"),
    ("strongly", "powerfully"),
    ("shapes", "moulds"),
    ("affects", "influences"),
    ("controls", "regulates"),
    ("releases", "emits"),
    ("produces", "generates"),
    ("reduces", "lowers"),
    ("supports", "sustains"),
    ("transforms", "converts"),
    ("protects", "shields"),
    ("limits", "restricts"),
    ("reveals", "shows"),
    ("changes", "alters"),
)
DROPPABLE = frozenset(CLAIMANT_ADVERBS) | {"frequently", "typically", "rapidly", "gradually", "powerfully", "more"}


def _third_person(verb: str) -> str:
    head, _, rest = verb.partition(" ")
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        head = head[:-1] + "ies"
    elif head.endswith(("s", "sh", "ch", "x")):
        head += "es"
    else:
        head += "s"
    return f"{head} {rest}".strip()


def topic_of(index: int) -> str:
    return list(TOPICS)[index % len(TOPICS)]


def prompt_for(index: int) -> str:
    topic = topic_of(index)
    form = PROMPT_FORMS[(index // len(TOPICS)) % len(PROMPT_FORMS)]
    text = form.format(t=topic)
    # Past len(TOPICS) * len(PROMPT_FORMS) prompts, add a counter so keys stay unique.
    cycle = index // (len(TOPICS) * len(PROMPT_FORMS))
    return text if cycle == 0 else f"{text} (part {cycle + 1})"


def _sentence(template: str, topic: str, rng: random.Random, adverbs: tuple[str, ...]) -> str:
    nouns, adjectives = TOPICS[topic]
    n1, n2, n3 = rng.sample(nouns, 3)
    verb = rng.choice(VERBS)
    text = template.format(
        n1=n1,
        n2=n2,
        n3=n3,
        a=rng.choice(adjectives),
        v=_third_person(verb),
        vb=verb,
        adv=rng.choice(adverbs),
        mainly=rng.choice(adverbs),
    )
    return text[0].upper() + text[1:]


def answer(topic: str, rng: random.Random, style: Literal["claimant", "other"] = "claimant") -> str:
    """One output of 4-6 sentences about `topic` in the given writer's style."""
    templates, adverbs = (
        (CLAIMANT_TEMPLATES, CLAIMANT_ADVERBS) if style == "claimant" else (OTHER_TEMPLATES, OTHER_ADVERBS)
    )
    count = rng.randint(4, 6)
    chosen = rng.sample(templates, count)
    return " ".join(_sentence(t, topic, rng, adverbs) for t in chosen)


def claimant_set(n_prompts: int = 40, seed: int = 0) -> list[Record]:
    """The claimant's outputs: one per prompt, prompts cycling through the built-in topics."""
    rng = random.Random(f"claimant-{seed}")
    return [
        {"prompt_id": f"p{i:05d}", "prompt": prompt_for(i), "output": answer(topic_of(i), rng)}
        for i in range(n_prompts)
    ]


def paraphrase(text: str, rng: random.Random) -> str:
    """Deterministic (given rng) meaning-preserving edits: clause reordering, synonym swaps, dropped words."""
    sentences = [s.strip() for s in text.split(". ") if s.strip()]
    edited = []
    for sentence in sentences:
        s = sentence.rstrip(".")
        if " because " in s:
            head, tail = s.split(" because ", 1)
            s = f"Because {tail}, {head[0].lower()}{head[1:]}"
        elif ", and " in s:
            head, tail = s.split(", and ", 1)
            s = f"{tail[0].upper()}{tail[1:]}, and {head[0].lower()}{head[1:]}"
        for old, new in SYNONYMS:
            s = s.replace(old, new)
        words = [w for w in s.split(" ") if not (w.strip(",") in DROPPABLE and rng.random() < 0.7)]
        s = " ".join(words)
        edited.append(s[0].upper() + s[1:] + ".")
    # Reorder sentences: a seeded rotation keeps the text coherent enough while moving every boundary.
    shift = rng.randint(1, max(1, len(edited) - 1))
    edited = edited[shift:] + edited[:shift]
    return " ".join(edited)


def copied_set(claimant: list[Record], seed: int = 0) -> list[Record]:
    return [dict(r) for r in claimant]


def paraphrased_set(claimant: list[Record], seed: int = 0) -> list[Record]:
    rng = random.Random(f"paraphrase-{seed}")
    return [{**r, "output": paraphrase(r["output"], rng)} for r in claimant]


def unrelated_set(claimant: list[Record], seed: int = 0) -> list[Record]:
    rng = random.Random(f"unrelated-{seed}")
    return [{**r, "output": answer(topic_of(i), rng, style="other")} for i, r in enumerate(claimant)]


def partial_set(claimant: list[Record], seed: int = 0, share: float = 0.5) -> list[Record]:
    """`share` of the prompts copied verbatim, the others answered independently."""
    rng = random.Random(f"partial-{seed}")
    unrelated = unrelated_set(claimant, seed)
    copied = set(rng.sample(range(len(claimant)), round(share * len(claimant))))
    return [dict(claimant[i]) if i in copied else unrelated[i] for i in range(len(claimant))]


def off_prompt_set(claimant: list[Record], seed: int = 0) -> list[Record]:
    """Claimant-style answers written for randomly drawn prompts, filed under the given prompts.

    Each output answers a prompt drawn independently of the one it is filed under, so the pairing carries no
    information: the matched pairs are exchangeable with the test's shuffled pairings, the null hypothesis holds
    exactly and the permutation p-value must be uniform. Outputs are fresh (never a claimant output verbatim), so
    no pair is a copy by accident.
    """
    rng = random.Random(f"off-prompt-{seed}")
    n = len(claimant)
    return [{**r, "output": answer(topic_of(rng.randrange(n)), rng)} for r in claimant]


SCENARIOS: dict[str, Callable[[list[Record], int], list[Record]]] = {
    "copied": copied_set,
    "paraphrased": paraphrased_set,
    "unrelated": unrelated_set,
    "partial": partial_set,
    "off_prompt": off_prompt_set,
}


def scenario(name: str, n_prompts: int = 40, seed: int = 0) -> tuple[list[Record], list[Record]]:
    """(claimant records, respondent records) for one named scenario."""
    claimant = claimant_set(n_prompts, seed)
    return claimant, SCENARIOS[name](claimant, seed)


def write_jsonl(path: str | Path, records: Iterable[Record], shape: Literal["prompt", "id"] = "prompt") -> Path:
    """Write records as JSONL in one of the accepted shapes: {"prompt", "output"} or {"prompt_id", "text"}."""
    target = Path(path)
    with target.open("w", encoding="utf-8") as handle:
        for r in records:
            row = (
                {"prompt": r["prompt"], "output": r["output"]}
                if shape == "prompt"
                else {"prompt_id": r["prompt_id"], "text": r["output"]}
            )
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target
