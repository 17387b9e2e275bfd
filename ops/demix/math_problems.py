"""Generated grade-school math word problems with worked answers (the offline math domain).

Deterministic for a seed; every answer is computed, so the text is internally consistent."""
from __future__ import annotations

import random

NAMES = ["Ava", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goro", "Hana", "Ivan", "Jade", "Kofi",
         "Lena", "Mateo", "Nia", "Omar", "Priya"]
ITEMS = ["apples", "marbles", "pencils", "stickers", "books", "cookies", "stamps", "shells",
         "cards", "flowers"]


def _problem(rng: random.Random) -> str:
    name, other = rng.sample(NAMES, 2)
    item = rng.choice(ITEMS)
    kind = rng.randrange(5)
    a, b, c = rng.randint(2, 60), rng.randint(2, 30), rng.randint(2, 9)
    if kind == 0:
        q = f"{name} has {a} {item}. {other} gives {name} {b} more. How many {item} does {name} have now?"
        steps, ans = [f"{a} + {b} = {a + b}"], a + b
    elif kind == 1:
        a = a + b
        q = f"{name} had {a} {item} and gave {b} to {other}. How many {item} are left?"
        steps, ans = [f"{a} - {b} = {a - b}"], a - b
    elif kind == 2:
        q = f"{name} buys {c} boxes of {item}. Each box holds {b} {item}. How many {item} is that?"
        steps, ans = [f"{c} * {b} = {c * b}"], c * b
    elif kind == 3:
        total = b * c
        q = f"{name} shares {total} {item} equally among {c} friends. How many does each friend get?"
        steps, ans = [f"{total} / {c} = {b}"], b
    else:
        price = rng.randint(2, 12)
        q = (f"{name} sells {a} {item} for ${price} each and spends ${b} on supplies. "
             f"How much money does {name} make?")
        steps, ans = [f"{a} * {price} = {a * price}", f"{a * price} - {b} = {a * price - b}"], a * price - b
    return f"Question: {q}\nAnswer: " + " ".join(f"{s}." for s in steps) + f"\n#### {ans}"


def math_word_problems(n: int, seed: int = 0) -> list[str]:
    """``n`` problems, one document each (question, worked steps, '#### answer')."""
    rng = random.Random(seed)
    return [_problem(rng) for _ in range(n)]
