"""The catalogue the platform starts with: languages, exams and their scoring schemes, and
the job grid of the adaptive certification (CLOE guide, Annex A).

Loaded by the catalogue's data migration and kept in sync by `catalogue_sync`; board
staff can edit the rows afterwards in the admin.
"""

from typing import Any

LANGUAGES = [
    {"code": "en", "name_en": "English", "name_fr": "Anglais"},
    {"code": "fr", "name_en": "French", "name_fr": "Français"},
]

FOUR_SKILLS = ["reading", "writing", "listening", "speaking"]
FIVE_SKILLS = ["reading", "use_of_english", "writing", "listening", "speaking"]

ADAPTIVE_WRITTEN_SKILLS = ["vocabulary", "grammar", "expressions", "reading", "listening"]
ORAL_CRITERIA = ["vocabulary_range", "grammar_syntax", "fluency", "pronunciation", "interaction"]


def cambridge_scheme(
    skills: list[str],
    top: int,
    grade_b: int,
    grade_c: int,
    level_floor: int,
    reported_floor: int,
    levels: tuple[str, str, str],
) -> dict[str, Any]:
    """A Cambridge English Scale scheme from its band boundaries (DESIGN.md's table).

    `levels` are the CEFR levels of grade A, of grades B and C, and of the band below.
    """
    grade_a = grade_b + 7
    level_a, level_bc, level_below = levels
    return {
        "kind": "cambridge_scale",
        "skills": skills,
        "reported_range": [reported_floor, top],
        "bands": [
            {"min": grade_a, "max": top, "grade": "A", "cefr": level_a},
            {"min": grade_b, "max": grade_a - 1, "grade": "B", "cefr": level_bc},
            {"min": grade_c, "max": grade_b - 1, "grade": "C", "cefr": level_bc},
            {"min": level_floor, "max": grade_c - 1, "grade": None, "cefr": level_below},
        ],
    }


KEY = cambridge_scheme(FOUR_SKILLS, 150, 133, 120, 100, 82, ("B1", "A2", "A1"))
PRELIMINARY = cambridge_scheme(FOUR_SKILLS, 170, 153, 140, 120, 102, ("B2", "B1", "A2"))
FIRST = cambridge_scheme(FIVE_SKILLS, 190, 173, 160, 140, 122, ("C1", "B2", "B1"))
ADVANCED = cambridge_scheme(FIVE_SKILLS, 210, 193, 180, 160, 142, ("C2", "C1", "B2"))
PROFICIENCY = cambridge_scheme(FIVE_SKILLS, 230, 213, 200, 180, 162, ("C2", "C2", "C1"))

# DELTA Module One reports a result word from one mark (percentage of the maximum).
# The thresholds are the board's to set; these defaults are documented in README.md.
DELTA_MODULE_ONE = {
    "kind": "delta",
    "skills": ["written_exam"],
    "reported_range": [0, 100],
    "bands": [
        {"min": 80, "outcome": "pass_distinction"},
        {"min": 65, "outcome": "pass_merit"},
        {"min": 50, "outcome": "pass"},
    ],
}

ADAPTIVE = {
    "kind": "adaptive_cefr",
    "written_skills": ADAPTIVE_WRITTEN_SKILLS,
    "oral_criteria": ORAL_CRITERIA,
    "questions_per_skill": 10,
    # Theta cut scores between A1|A2|B1|B2|C1|C2, per written skill.
    "cut_scores": {skill: [-1.6, -0.8, 0.0, 0.8, 1.6] for skill in ADAPTIVE_WRITTEN_SKILLS},
}

EXAMS: list[dict[str, Any]] = [
    {"code": "a2-key", "name": "A2 Key", "scheme": KEY},
    {"code": "a2-key-schools", "name": "A2 Key for Schools", "scheme": KEY},
    {"code": "b1-preliminary", "name": "B1 Preliminary", "scheme": PRELIMINARY},
    {"code": "b1-preliminary-schools", "name": "B1 Preliminary for Schools",
     "scheme": PRELIMINARY},
    {"code": "b2-first", "name": "B2 First", "scheme": FIRST, "photo": True},
    {"code": "b2-first-schools", "name": "B2 First for Schools", "scheme": FIRST},
    {"code": "c1-advanced", "name": "C1 Advanced", "scheme": ADVANCED, "photo": True},
    {"code": "c2-proficiency", "name": "C2 Proficiency", "scheme": PROFICIENCY, "photo": True},
    {"code": "b1-business-preliminary", "name": "B1 Business Preliminary",
     "scheme": PRELIMINARY},
    {"code": "b2-business-vantage", "name": "B2 Business Vantage", "scheme": FIRST | {
        "skills": FOUR_SKILLS}},
    {"code": "c1-business-higher", "name": "C1 Business Higher", "scheme": ADVANCED | {
        "skills": FOUR_SKILLS}},
    {"code": "delta-module-one", "name": "DELTA Module One", "scheme": DELTA_MODULE_ONE},
    {"code": "adaptive-en", "name": "LangCert Adaptive Certification – English",
     "scheme": ADAPTIVE, "photo": True},
    {"code": "adaptive-fr", "name": "LangCert Adaptive Certification – French",
     "scheme": ADAPTIVE, "photo": True, "language": "fr"},
]

# Annex A of the CLOE candidate guide: target level by job, in French and English.
# The "C1 & C2" row suggests C1 (C2 always earns the certificate anyway).
JOB_GRID: list[dict[str, Any]] = [
    {
        "level": "C1",
        "user_fr": "Utilisateur expérimenté C1 & C2",
        "user_en": "Proficient user C1 & C2",
        "objective_fr": "Maîtrise de la communication professionnelle",
        "objective_en": "Command of professional communication",
        "jobs": [
            ("Responsable stratégie internationale", "International strategy manager"),
            ("Directeur achats à l’international", "International purchasing director"),
            ("Directeur de projet ou de contrat", "Project or contract director"),
            ("Directeur commercial", "Sales director"),
            ("Directeur ressources humaines à l’international", "International HR director"),
            ("Maître de conférences", "Senior lecturer"),
        ],
    },
    {
        "level": "B2",
        "user_fr": "Utilisateur indépendant B2",
        "user_en": "Independent user B2",
        "objective_fr": "Autonomie professionnelle en situations complexes",
        "objective_en": "Professional autonomy in complex situations",
        "jobs": [
            ("Responsable des achats", "Purchasing manager"),
            ("Assistant de direction", "Executive assistant"),
            ("Auditeur", "Auditor"),
            ("Avocat", "Lawyer"),
            ("Cadre commercial", "Sales executive"),
            ("Chef de projet", "Project manager"),
            ("Conseiller financier", "Financial adviser"),
            ("Enseignant / formateur", "Teacher / trainer"),
            ("Maître d’hôtel / responsable de structure hôtelière", "Head waiter / hotel manager"),
            ("Manager", "Manager"),
            ("Médecin", "Doctor"),
            ("Ingénieur, scientifique, programmeur, chercheur",
             "Engineer, scientist, programmer, researcher"),
            ("Responsable marketing", "Marketing manager"),
        ],
    },
    {
        "level": "B1",
        "user_fr": "Utilisateur indépendant B1",
        "user_en": "Independent user B1",
        "objective_fr": "Autonomie professionnelle en situations habituelles",
        "objective_en": "Professional autonomy in everyday situations",
        "jobs": [
            ("Acheteur", "Buyer"),
            ("Agent immobilier", "Estate agent"),
            ("Agent logistique", "Logistics agent"),
            ("Assistant RH", "HR assistant"),
            ("Chef d’équipe", "Team leader"),
            ("Comptable", "Accountant"),
            ("Conseiller clientèle", "Customer adviser"),
            ("Employé administratif spécialisé", "Specialised administrative employee"),
            ("Expert technique", "Technical expert"),
            ("Réceptionniste", "Receptionist"),
            ("Responsable d’unité commerciale", "Sales unit manager"),
            ("Serveur en restaurant", "Restaurant waiter"),
        ],
    },
    {
        "level": "A2",
        "user_fr": "Utilisateur élémentaire A2",
        "user_en": "Basic user A2",
        "objective_fr": "Semi-autonomie professionnelle en situations simples",
        "objective_en": "Partial professional autonomy in simple situations",
        "jobs": [
            ("Agent de sécurité", "Security guard"),
            ("Aide-soignant", "Care assistant"),
            ("Chauffeur routier", "Lorry driver"),
            ("Chef de ligne", "Line supervisor"),
            ("Conseiller services", "Service adviser"),
            ("Employé administratif", "Administrative employee"),
            ("Intervenant technique", "Technician"),
            ("Membre du personnel hôtelier", "Hotel staff member"),
            ("Personnel technique / opérationnel", "Technical / operational staff"),
            ("Vendeur", "Sales assistant"),
        ],
    },
]
