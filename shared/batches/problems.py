"""What can be wrong in a batch, said in French and English, and where (row, element or file).

Every problem carries a stable `code` (documented in docs/BATCHES.md), the `field` in the source's own terms
(a CSV
column, an HSDS path, an XML element) and bilingual messages. Errors reject the whole batch; warnings are
reported
and do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import ValidationFailed

# code -> (French, English). `{value}` and `{detail}` are filled in when known.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_field": ("Champ obligatoire manquant.", "Required field is missing."),
    "invalid_uuid": (
        "Identifiant invalide : un UUID est attendu.",
        "Invalid identifier: a UUID is expected.",
    ),
    "invalid_postal_code": (
        "Code postal invalide (« {value} ») : format attendu G8B 3L2.",
        "Invalid postal code ('{value}'): expected format G8B 3L2.",
    ),
    "postal_code_outside_quebec": (
        "Le code postal « {value} » n'est pas au Québec (il doit commencer par G, H ou J).",
        "Postal code '{value}' is not in Québec (it must start with G, H or J).",
    ),
    "coordinates_outside_quebec": (
        "Coordonnées hors du Québec ({value}).{detail}",
        "Coordinates outside Québec ({value}).{detail}",
    ),
    "incomplete_coordinates": (
        "Latitude et longitude vont ensemble : donnez les deux ou aucune.",
        "Latitude and longitude go together: give both or neither.",
    ),
    "invalid_phone": (
        "Numéro de téléphone invalide (« {value} ») : 10 chiffres attendus, p. ex. 418 555-0142.",
        "Invalid phone number ('{value}'): 10 digits expected, e.g. 418 555-0142.",
    ),
    "invalid_email": ("Courriel invalide (« {value} »).", "Invalid e-mail address ('{value}')."),
    "invalid_hours": (
        "Horaire illisible (« {value} ») : p. ex. « lun-ven 8h30-16h30; sam 9h-12h ».",
        "Unreadable hours ('{value}'): e.g. 'mon-fri 8:30-16:30; sat 9:00-12:00'.",
    ),
    "invalid_schedule": ("Horaire invalide : {detail}", "Invalid schedule: {detail}"),
    "unknown_category": (
        "Catégorie inconnue (« {value} ») : utilisez un code de GET /taxonomy_terms.",
        "Unknown category ('{value}'): use a code from GET /taxonomy_terms.",
    ),
    "duplicate_id": (
        "Identifiant en double dans le lot (« {value} ») : déjà utilisé (réf. {detail}).",
        "Duplicate identifier in the batch ('{value}'): already used (ref. {detail}).",
    ),
    "invalid_region": ("Région invalide (« {value} ») : 01 à 17.", "Invalid region ('{value}'): 01 to 17."),
    "region_outside_scope": (
        "La région {value} est hors de votre périmètre : le lot entier est refusé.",
        "Region {value} is outside your scope: the whole batch is refused.",
    ),
    "missing_organization": (
        "Organisme introuvable (« {value} ») : il n'est ni dans le lot ni dans le répertoire.",
        "Organization not found ('{value}'): neither in the batch nor in the directory.",
    ),
    "invalid_value": ("Valeur invalide : {detail}", "Invalid value: {detail}"),
    "too_many_locations": (
        "Trop de points de service pour une seule fiche ({value}) : scindez la fiche.",
        "Too many locations for one listing ({value}): split the listing.",
    ),
    "malformed_file": ("Fichier illisible : {detail}", "Unreadable file: {detail}"),
    "encoding_undetected": (
        "Encodage du texte non reconnu : enregistrez le fichier en UTF-8 (CSV UTF-8 dans Excel).",
        "Text encoding not recognised: save the file as UTF-8 (CSV UTF-8 in Excel).",
    ),
    "mojibake_detected": (
        "Le texte contient des caractères mal convertis (« {value} ») : le fichier a été converti deux fois. "
        "Réexportez-le en UTF-8.",
        "The text holds mis-converted characters ('{value}'): the file was converted twice. "
        "Export it again as UTF-8.",
    ),
    "empty_batch": ("Le lot ne contient aucune fiche.", "The batch holds no listing."),
    "too_many_errors": (
        "Trop d'erreurs : la vérification s'est arrêtée après {value}.",
        "Too many errors: checking stopped after {value}.",
    ),
    "unknown_column": ("Colonne ignorée (« {value} »).", "Column ignored ('{value}')."),
    "ignored_field": ("Champ HSDS non conservé (« {value} »).", "HSDS field not kept ('{value}')."),
    "unmapped_taxonomy_code": (
        "Code de taxonomie AIRS sans catégorie correspondante (« {value} »).",
        "AIRS taxonomy code with no matching category ('{value}').",
    ),
    "no_category": ("La fiche n'a aucune catégorie.", "The listing has no category."),
}

MAX_ERRORS = 10_000


@dataclass(frozen=True)
class Problem:
    """One error or warning. `ref`: a row number (CSV) or an element path (JSON, XML, tables)."""

    ref: str
    field: str
    code: str
    value: str = ""
    detail: str = ""
    ref_kind: str = "row"  # "row" or "element"

    def to_json(self) -> dict[str, Any]:
        fr, en = MESSAGES.get(self.code, MESSAGES["invalid_value"])
        value = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return {
            self.ref_kind: self.ref,
            "field": self.field,
            "code": self.code,
            "message": fr.format(value=value, detail=self.detail),
            "message_en": en.format(value=value, detail=self.detail),
        }


class BatchRejected(Exception):
    """The file as a whole cannot be read (encoding, syntax, size): one problem, nothing else to check."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def file_problem(code: str, detail: str = "", value: str = "") -> BatchRejected:
    return BatchRejected(
        Problem(ref="file", field="", code=code, detail=detail, value=value, ref_kind="element")
    )


def rejection(batch: dict[str, Any], errors: list[dict[str, Any]]) -> ValidationFailed:
    rejected = batch["counts"].get("rejected", 0)
    return ValidationFailed(
        f"Lot refusé : {rejected} fiche(s) en erreur, rien n'a été modifié.",
        message_en=f"Batch rejected: {rejected} listing(s) in error, nothing was changed.",
        details={
            "batch_id": batch["id"],
            "status": batch["status"],
            "counts": batch["counts"],
            "error_count": batch.get("error_count", len(errors)),
            "errors": errors,
        },
    )
