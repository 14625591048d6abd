"""A small synthetic corpus with planted structure, for the `w2vfast demo` command and quick experiments.

Sentences talk about countries (their capital, language, currency and food) and about people of either
gender in a few roles. Each word family shares contexts, so after a few seconds of training "paris" sits
near the other capitals, and paris - france + italy lands on rome.
"""
import random

COUNTRIES = [
    # country, capital, language, currency, dish
    ("france", "paris", "french", "franc", "croissant"),
    ("italy", "rome", "italian", "lira", "pasta"),
    ("germany", "berlin", "german", "mark", "pretzel"),
    ("spain", "madrid", "spanish", "peseta", "paella"),
    ("japan", "tokyo", "japanese", "yen", "sushi"),
    ("russia", "moscow", "russian", "rouble", "borscht"),
    ("greece", "athens", "greek", "drachma", "souvlaki"),
    ("egypt", "cairo", "arabic", "pound", "koshari"),
    ("portugal", "lisbon", "portuguese", "escudo", "bacalhau"),
    ("poland", "warsaw", "polish", "zloty", "pierogi"),
    ("sweden", "stockholm", "swedish", "krona", "meatball"),
    ("china", "beijing", "mandarin", "yuan", "dumpling"),
]
PEOPLE = [("king", "queen"), ("man", "woman"), ("boy", "girl"), ("prince", "princess"), ("father", "mother"),
          ("son", "daughter"), ("brother", "sister"), ("husband", "wife"), ("uncle", "aunt"), ("actor", "actress")]
FILLER = "the a of and in to with at by from on was is very often".split()

_COUNTRY_TEMPLATES = [
    "{capital} is the capital city of {country}",
    "the government of {country} sits in {capital}",
    "in {capital} people speak {language} and pay in {currency}",
    "{language} is the language spoken in {country}",
    "the {currency} was the money of {country}",
    "visitors to {capital} eat {dish} and learn {language}",
    "{dish} is a famous dish from {country}",
    "the old {currency} coins of {capital} were kept in a museum",
    "the {language} speaking citizens of {country} love {dish}",
]
_PERSON_TEMPLATES = [
    "the {m} said that he was tired and his {m2} agreed with him",
    "the {f} said that she was tired and her {f2} agreed with her",
    "he is a {m} and he lives with his family",
    "she is a {f} and she lives with her family",
    "the {m} and his {m2} went to {capital}",
    "the {f} and her {f2} went to {capital}",
    "a young {m} grew up to become a strong {m2}",
    "a young {f} grew up to become a strong {f2}",
]


def planted_sentences(n_sentences=40000, seed=0):
    """Return n_sentences token lists drawn from the templates above (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_sentences):
        country, capital, language, currency, dish = rng.choice(COUNTRIES)
        if rng.random() < 0.65:
            template = rng.choice(_COUNTRY_TEMPLATES)
            text = template.format(country=country, capital=capital, language=language, currency=currency,
                                   dish=dish)
        else:
            (m, f), (m2, f2) = rng.sample(PEOPLE, 2)
            text = rng.choice(_PERSON_TEMPLATES).format(m=m, f=f, m2=m2, f2=f2, capital=capital)
        tokens = text.split()
        # A little noise so the task is not trivially separable.
        for _ in range(rng.randint(0, 3)):
            tokens.insert(rng.randint(0, len(tokens)), rng.choice(FILLER))
        out.append(tokens)
    return out
