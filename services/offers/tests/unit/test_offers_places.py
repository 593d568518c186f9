"""Finding a commune from what a person types (offers.domain.places)."""
from offers.domain import places

COMMUNES = [
    {"insee_code": "13055", "name": "Marseille", "kind": "commune", "postal_codes": ["13001", "13003"],
     "population": 870000},
    {"insee_code": "13203", "name": "Marseille 3e Arrondissement", "kind": "arrondissement_municipal",
     "postal_codes": ["13003"], "population": 50000},
    {"insee_code": "42218", "name": "Saint-Étienne", "kind": "commune", "postal_codes": ["42000"], "population": 170000},
    {"insee_code": "2A004", "name": "Ajaccio", "kind": "commune", "postal_codes": ["20000"], "population": 70000},
    {"insee_code": "01001", "name": "L'Abergement-Clémenciat", "kind": "commune", "postal_codes": ["01400"],
     "population": 860},
    {"insee_code": "60001", "name": "Marseille-en-Beauvaisis", "kind": "commune", "postal_codes": ["60690"],
     "population": 1400},
]


def names(q, limit=10):
    return [c["name"] for c in places.rank(COMMUNES, q, limit)]


def test_a_name_finds_the_exact_commune_first_then_prefixes_then_districts():
    assert names("marseille") == ["Marseille", "Marseille-en-Beauvaisis", "Marseille 3e Arrondissement"]


def test_accents_dashes_and_saint_abbreviations_are_folded():
    assert names("st etienne") == ["Saint-Étienne"]
    assert names("SAINT ETIENNE") == ["Saint-Étienne"]
    assert names("abergement") == ["L'Abergement-Clémenciat"]


def test_a_postal_code_or_an_address_with_one_gives_its_communes():
    assert names("13003") == ["Marseille", "Marseille 3e Arrondissement"]
    assert names("12 rue de la République, 13003 Marseille")[0] == "Marseille"
    assert names("42000") == ["Saint-Étienne"]


def test_an_insee_code_and_an_address_without_postal_code():
    assert names("2A004") == ["Ajaccio"]
    assert names("3 place de l'Hôtel de Ville, Saint-Étienne") == ["Saint-Étienne"]


def test_too_short_or_unknown_text_finds_nothing_and_limit_is_bounded():
    assert names("m") == []
    assert names("zzzz") == []
    assert len(places.rank(COMMUNES, "mar", limit=1000)) <= places.LIMIT_MAX
