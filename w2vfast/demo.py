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
# (male, female, words of the role's own world): pairs share their role's contexts, genders share pronouns.
PEOPLE = [("king", "queen", "throne crown palace reign"), ("man", "woman", "street job office town"),
          ("boy", "girl", "school toys playground lessons"), ("prince", "princess", "castle heir ball royal"),
          ("father", "mother", "children home parents family"), ("son", "daughter", "parents born child young"),
          ("brother", "sister", "sibling twin older younger"), ("husband", "wife", "wedding married spouse ring"),
          ("uncle", "aunt", "nephew niece relatives visit"), ("actor", "actress", "film stage role theatre")]
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
    "the {p} said that {he} was tired and {his} {t1} agreed",
    "{he} is a {p} and {he} thinks about the {t1} and the {t2}",
    "the {p} went to {capital} for the {t1}",
    "{his} {t1} made the {p} proud of {him}self",
    "everyone knew the {p} by {his} {t2}",
]
_PRONOUNS = [dict(he="he", his="his", him="him"), dict(he="she", his="her", him="her")]


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
            male, female, topic = rng.choice(PEOPLE)
            gender = rng.randrange(2)
            t1, t2 = rng.sample(topic.split(), 2)
            text = rng.choice(_PERSON_TEMPLATES).format(p=(male, female)[gender], t1=t1, t2=t2, capital=capital,
                                                        **_PRONOUNS[gender])
        tokens = text.split()
        # A little noise so the task is not trivially separable.
        for _ in range(rng.randint(0, 3)):
            tokens.insert(rng.randint(0, len(tokens)), rng.choice(FILLER))
        out.append(tokens)
    return out
