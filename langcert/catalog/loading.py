"""Loads `reference_data` into the catalogue tables; idempotent (rows matched by code)."""

from langcert.catalog import reference_data


def load_reference_catalogue(language_model, exam_model, band_model, job_model) -> None:
    """Create or update languages, exams and the job grid.

    Takes the model classes so the data migration can pass its historical models.
    """
    languages = {}
    for row in reference_data.LANGUAGES:
        languages[row["code"]], _ = language_model.objects.update_or_create(
            code=row["code"], defaults={"name_en": row["name_en"], "name_fr": row["name_fr"]}
        )
    for row in reference_data.EXAMS:
        exam_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "language": languages[row.get("language", "en")],
                "kind": row["scheme"]["kind"],
                "scoring_scheme": row["scheme"],
                "shows_test_day_photo": row.get("photo", False),
            },
        )
    for position, row in enumerate(reference_data.JOB_GRID):
        band, _ = band_model.objects.update_or_create(
            level=row["level"],
            defaults={
                "user_en": row["user_en"],
                "user_fr": row["user_fr"],
                "objective_en": row["objective_en"],
                "objective_fr": row["objective_fr"],
                "position": position,
            },
        )
        for name_fr, name_en in row["jobs"]:
            job_model.objects.update_or_create(
                band=band, name_en=name_en, defaults={"name_fr": name_fr}
            )
