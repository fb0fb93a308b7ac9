"""What Québec community organisations look like: archetypes of organisations and the services they offer.

Each archetype names an organisation the way Québec groups name themselves (with `{de}` for the elided
"de/d'/du/des + place" and `{nick}` for a chosen name), describes it, and lists its services with their category
code, bilingual names and descriptions, and a few traits (ages, hours, fees). The generator picks archetypes by
weight and fills the places in.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceTemplate:
    code: str  # taxonomy term code (shared/directory/data/taxonomy_qc211.json)
    fr: str
    en: str
    desc_fr: str
    desc_en: str
    extra_codes: tuple[str, ...] = ()
    hours: str = "office"  # office | split | evenings | weekends | always | meals
    ages: tuple[int | None, int | None] = (None, None)
    fee: float | None = None  # None: free
    eligibility_fr: str | None = None
    eligibility_en: str | None = None
    optional: bool = False  # offered by some organisations of the archetype only


@dataclass(frozen=True)
class Archetype:
    key: str
    names: tuple[str, ...]
    names_en: tuple[str, ...]
    desc_fr: str
    desc_en: str
    services: tuple[ServiceTemplate, ...]
    weight: float = 1.0
    scope: str = "municipality"  # municipality | mrc | region
    nicknames: tuple[str, ...] = field(default=())


S = ServiceTemplate

ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        key="cab",
        names=("Centre d'action bénévole {de}",),
        names_en=("{place} Volunteer Action Centre",),
        desc_fr=(
            "Le Centre d'action bénévole {de} fait la promotion de l'action bénévole et soutient les personnes "
            "aînées, les proches aidants et les familles de son territoire. Ses bénévoles offrent de "
            "l'accompagnement, des repas et de l'aide aux formalités."
        ),
        desc_en=(
            "The {place} Volunteer Action Centre promotes volunteering and supports seniors, caregivers and "
            "families in its area. Its volunteers offer escorts, meals and help with paperwork."
        ),
        services=(
            S("FOOD-MOW", "Popote roulante", "Meals on wheels",
              "Livraison de repas chauds à domicile, deux à trois fois par semaine, pour les personnes aînées ou en "
              "perte d'autonomie. Les repas sont préparés par des bénévoles et livrés le midi.",
              "Hot meals delivered at home two or three times a week to seniors and people losing autonomy. "
              "Meals are cooked by volunteers and delivered at lunchtime.",
              extra_codes=("SENIORS-HOMEHELP",), ages=(65, None), fee=6.0,
              eligibility_fr="Personnes de 65 ans et plus ou en perte d'autonomie.",
              eligibility_en="People 65 and over or losing autonomy."),
            S("TRANSPORT-MEDICAL", "Accompagnement-transport bénévole", "Volunteer medical escort",
              "Des bénévoles accompagnent les personnes à leurs rendez-vous médicaux à l'hôpital, au CLSC ou chez "
              "le médecin. Réservez au moins 48 heures à l'avance. Frais de kilométrage à prévoir.",
              "Volunteers drive and escort people to medical appointments at the hospital, CLSC or doctor. Book at "
              "least 48 hours ahead. Mileage fees apply.", fee=0.45),
            S("SENIORS-VISITS", "Visites d'amitié et appels de sécurité", "Friendly visits and safety calls",
              "Visites à domicile et appels téléphoniques quotidiens pour briser l'isolement des personnes aînées "
              "qui vivent seules.",
              "Home visits and daily phone calls to break the isolation of seniors living alone.", ages=(60, None)),
            S("INCOME-TAX", "Clinique d'impôts bénévole", "Volunteer tax clinic",
              "Préparation gratuite des déclarations de revenus pour les personnes à faible revenu, de février à "
              "avril, sur rendez-vous.",
              "Free income tax returns for people with a low income, February to April, by appointment.",
              optional=True),
            S("HEALTH-CAREGIVER", "Soutien aux proches aidants", "Caregiver support",
              "Groupes de soutien, écoute et répit pour les proches aidants d'une personne malade ou en perte "
              "d'autonomie.", "Support groups, listening and respite for caregivers of a sick or frail person.",
              optional=True),
        ),
        weight=1.4,
        scope="mrc",
    ),
    Archetype(
        key="moisson",
        names=("Moisson {region_name}", "Banque alimentaire {de}", "Comptoir alimentaire {de}"),
        names_en=("{place} Food Bank",),
        desc_fr=(
            "Organisme de sécurité alimentaire qui recueille les surplus de l'industrie et des épiceries et les "
            "redistribue aux personnes et aux familles qui vivent de l'insécurité alimentaire {a}."
        ),
        desc_en=(
            "A food security organisation that collects surplus food from producers and grocers and shares it "
            "with people and families facing food insecurity in {place}."
        ),
        services=(
            S("FOOD-BANK", "Banque alimentaire", "Food bank",
              "Distribution hebdomadaire de denrées (fruits, légumes, pain, produits laitiers et produits secs) aux "
              "ménages à faible revenu. Inscription sur place avec une preuve d'adresse et de revenu.",
              "Weekly food distribution (fruit, vegetables, bread, dairy and dry goods) to low-income households. "
              "Register on site with proof of address and income.",
              eligibility_fr="Ménages à faible revenu du territoire; preuve d'adresse demandée.",
              eligibility_en="Low-income households of the area; proof of address required."),
            S("FOOD-EMERG", "Dépannage alimentaire d'urgence", "Emergency food assistance",
              "Panier de dépannage remis le jour même aux personnes qui n'ont plus rien à manger, sans rendez-vous, "
              "une fois par mois.", "Same-day emergency food basket for people with nothing left to eat, no "
              "appointment needed, once a month."),
            S("FOOD-HOLIDAY", "Paniers de Noël", "Christmas baskets",
              "Paniers de denrées et cadeaux pour enfants distribués en décembre. Inscription en novembre.",
              "Food baskets and children's gifts handed out in December. Register in November.", optional=True),
        ),
        weight=1.3,
        scope="mrc",
    ),
    Archetype(
        key="cuisine",
        names=("Cuisines collectives {de}", "Regroupement des cuisines collectives {de}"),
        names_en=("{place} Community Kitchens",),
        desc_fr=(
            "Les cuisines collectives réunissent de petits groupes qui planifient, cuisinent et partagent des "
            "repas économiques et nutritifs à rapporter à la maison."
        ),
        desc_en="Community kitchens bring small groups together to plan, cook and share affordable, healthy meals.",
        services=(
            S("FOOD-KITCHEN", "Cuisine collective", "Community kitchen",
              "Groupes de quatre à six personnes qui cuisinent ensemble une journée par mois. Environ 2 $ la "
              "portion.", "Groups of four to six people cook together one day a month. About $2 a portion.",
              fee=2.0),
            S("FOOD-MEALS", "Repas communautaires", "Community meals",
              "Dîners communautaires à prix modique dans une ambiance conviviale, ouverts à tous.",
              "Low-cost community lunches in a friendly setting, open to all.", hours="meals", fee=4.0),
            S("FOOD-GARDEN", "Jardin collectif", "Community garden",
              "Jardinage collectif de mai à octobre; les récoltes sont partagées entre les participants.",
              "Collective gardening from May to October; the harvest is shared among participants.",
              optional=True),
        ),
    ),
    Archetype(
        key="mdj",
        names=("Maison des jeunes {nick} {de}",),
        names_en=("{nick} Youth Centre",),
        nicknames=("L'Escale", "Le Refuge", "L'Entre-Jeunes", "La Zone", "Le Repère", "L'Antidote", "Le Cayo",
                   "La Piaule", "L'Exode", "Le Tournant"),
        desc_fr=(
            "Lieu de rencontre animé pour les jeunes de 12 à 17 ans, où des animateurs les accompagnent dans "
            "leurs projets et les aident à devenir des citoyens critiques, actifs et responsables."
        ),
        desc_en="A drop-in centre where youth workers support teenagers aged 12 to 17 in their projects.",
        services=(
            S("YOUTH-MDJ", "Maison des jeunes", "Youth drop-in centre",
              "Activités, aide aux devoirs, écoute et prévention pour les 12 à 17 ans, en soirée et la fin de "
              "semaine.", "Activities, homework help, listening and prevention for ages 12 to 17, evenings and "
              "weekends.", hours="evenings", ages=(12, 17)),
            S("ADDICT-PREVENT", "Prévention des dépendances chez les jeunes", "Youth addiction prevention",
              "Ateliers de prévention sur l'alcool, le cannabis, les jeux de hasard et les écrans.",
              "Prevention workshops on alcohol, cannabis, gambling and screens.", ages=(12, 17), optional=True),
        ),
        weight=1.1,
    ),
    Archetype(
        key="cje",
        names=("Carrefour jeunesse-emploi {de}",),
        names_en=("{place} Youth Employment Centre",),
        desc_fr=(
            "Le Carrefour jeunesse-emploi (CJE) accompagne les jeunes adultes de 16 à 35 ans dans leurs démarches "
            "d'emploi, de retour aux études et de projets d'entrepreneuriat."
        ),
        desc_en="The CJE helps young adults aged 16 to 35 find work, return to school or start a business.",
        services=(
            S("YOUTH-CJE", "Recherche d'emploi pour les jeunes", "Job search for young adults",
              "Aide à la rédaction du CV, préparation aux entrevues et banque d'offres d'emploi, avec ou sans "
              "rendez-vous.", "Help with résumés, interview preparation and job listings, with or without an "
              "appointment.", extra_codes=("INCOME-EMPLOY",), ages=(16, 35)),
            S("YOUTH-SCHOOL", "Retour aux études et persévérance scolaire", "Back to school and school retention",
              "Accompagnement des jeunes qui veulent retourner à l'école ou terminer leur diplôme.",
              "Support for young people who want to go back to school or finish their diploma.", ages=(16, 35)),
        ),
        scope="mrc",
    ),
    Archetype(
        key="femmes_heb",
        names=("Maison d'hébergement {nick} pour femmes", "Maison {nick}"),
        names_en=("{nick} Women's Shelter",),
        nicknames=("La Chambrée", "Le Rivage", "L'Éclaircie", "Halte-Femmes", "L'Aid'Elle", "La Passerelle",
                   "Le Havre", "Simonne-Monet"),
        desc_fr=(
            "Maison d'hébergement pour femmes victimes de violence conjugale et leurs enfants. Adresse "
            "confidentielle; intervention 24 heures sur 24, 7 jours sur 7."
        ),
        desc_en="A shelter for women experiencing intimate partner violence and their children. "
                "Confidential address; help 24/7.",
        services=(
            S("HOUSING-WOMEN", "Hébergement d'urgence pour femmes victimes de violence conjugale",
              "Emergency shelter for women experiencing domestic violence",
              "Hébergement sécuritaire et gratuit, écoute, accompagnement juridique et soutien aux enfants. Appelez "
              "en tout temps.", "Safe, free shelter, listening, legal accompaniment and support for children. "
              "Call any time.", extra_codes=("VIOLENCE-DOMESTIC",), hours="always"),
            S("VIOLENCE-DOMESTIC", "Services externes en violence conjugale", "Outreach services for domestic "
              "violence", "Rencontres individuelles et groupes de soutien pour les femmes qui vivent ou ont vécu de "
              "la violence de leur conjoint ou ex-conjoint.", "Individual meetings and support groups for women "
              "who live or lived with violence from a partner or former partner."),
        ),
        weight=0.6,
        scope="mrc",
    ),
    Archetype(
        key="calacs",
        names=("CALACS {de}", "Centre d'aide et de lutte contre les agressions à caractère sexuel {de}"),
        names_en=("{place} Sexual Assault Centre",),
        desc_fr=(
            "Le CALACS offre de l'aide gratuite et confidentielle aux femmes et aux adolescentes qui ont vécu une "
            "agression à caractère sexuel, récente ou passée, ainsi qu'à leurs proches."
        ),
        desc_en="Free, confidential help for women and teenage girls who experienced sexual assault, and their "
                "loved ones.",
        services=(
            S("VIOLENCE-SEXUAL", "Aide aux victimes d'agression sexuelle", "Help for sexual assault survivors",
              "Suivi individuel, groupes de soutien et accompagnement à l'hôpital, à la police et à la cour.",
              "Individual follow-up, support groups and accompaniment to hospital, police and court.",
              ages=(12, None)),
        ),
        weight=0.4,
        scope="region",
    ),
    Archetype(
        key="cavac",
        names=("CAVAC {region_de}",),
        names_en=("{region_name} Crime Victims Assistance Centre",),
        desc_fr=(
            "Le Centre d'aide aux victimes d'actes criminels (CAVAC) offre des services gratuits et confidentiels "
            "aux victimes, à leurs proches et aux témoins d'un acte criminel, qu'une plainte ait été déposée ou "
            "non."
        ),
        desc_en="The Crime Victims Assistance Centre offers free, confidential services to victims, their loved "
                "ones and witnesses, whether or not a complaint was filed.",
        services=(
            S("VIOLENCE-VICTIMS", "Aide aux victimes d'actes criminels", "Help for victims of crime",
              "Intervention post-traumatique, information sur le processus judiciaire, aide pour remplir les "
              "demandes d'indemnisation (IVAC) et accompagnement à la cour.",
              "Post-trauma support, information on the court process, help with compensation claims and "
              "accompaniment to court.", extra_codes=("LEGAL-INFO",)),
        ),
        weight=0.3,
        scope="region",
    ),
    Archetype(
        key="acef",
        names=("ACEF {de}", "Service budgétaire populaire {de}"),
        names_en=("{place} Budget Counselling Service",),
        desc_fr=(
            "Association coopérative d'économie familiale: consultations budgétaires, défense des droits des "
            "consommateurs et ateliers sur l'endettement."
        ),
        desc_en="A consumer and household budget association: budget counselling, consumer rights and debt "
                "workshops.",
        services=(
            S("INCOME-BUDGET", "Consultation budgétaire", "Budget counselling",
              "Rencontre confidentielle avec une conseillère budgétaire pour faire le point sur les dettes, négocier "
              "avec les créanciers ou éviter la faillite.", "A confidential meeting with a budget counsellor to "
              "review debts, negotiate with creditors or avoid bankruptcy."),
            S("LEGAL-CONSUMER", "Défense des droits des consommateurs", "Consumer rights",
              "Information et aide pour les litiges avec un commerçant, Hydro-Québec ou une compagnie de "
              "télécommunication.", "Information and help with disputes with a merchant, the power utility or a "
              "telecom company."),
        ),
        weight=0.5,
        scope="mrc",
    ),
    Archetype(
        key="locataires",
        names=("Comité logement {de}", "Association des locataires {de}"),
        names_en=("{place} Tenants' Association",),
        desc_fr=(
            "Le comité logement informe les locataires de leurs droits et les accompagne face aux hausses de "
            "loyer, aux reprises de logement, aux évictions et aux problèmes d'insalubrité."
        ),
        desc_en="The housing committee informs tenants of their rights and supports them with rent increases, "
                "repossessions, evictions and unsanitary housing.",
        services=(
            S("HOUSING-TENANT", "Information sur les droits des locataires", "Tenant rights information",
              "Aide pour comprendre un avis de hausse de loyer, préparer un dossier au Tribunal administratif du "
              "logement ou contester une éviction.", "Help to understand a rent increase notice, prepare a case "
              "for the housing tribunal or contest an eviction."),
            S("HOUSING-SEARCH", "Aide à la recherche de logement", "Help finding housing",
              "Accompagnement des ménages qui cherchent un logement abordable, en particulier autour du 1er juillet.",
              "Support for households looking for affordable housing, especially around July 1st."),
            S("HOUSING-SOCIAL", "Logement social et HLM: inscription", "Social housing and HLM applications",
              "Information et aide pour s'inscrire sur les listes d'attente des HLM, coopératives et OSBL "
              "d'habitation.", "Information and help to apply for public housing, co-ops and non-profit housing.",
              optional=True),
        ),
        weight=0.7,
    ),
    Archetype(
        key="refuge",
        names=("Refuge {nick}", "Maison d'hébergement {nick}"),
        names_en=("{nick} Shelter",),
        nicknames=("Le Seuil", "La Bouée", "L'Abri", "Le Phare", "Le Passant", "La Halte"),
        desc_fr="Hébergement d'urgence et accompagnement pour les hommes et les femmes en situation d'itinérance.",
        desc_en="Emergency shelter and support for men and women experiencing homelessness.",
        services=(
            S("HOUSING-SHELTER", "Hébergement d'urgence", "Emergency shelter",
              "Lits d'urgence pour la nuit, repas du soir et déjeuner, douche et consigne. Accueil à partir de 19 h.",
              "Emergency beds for the night, supper and breakfast, showers and storage. Doors open at 7 p.m.",
              hours="always", ages=(18, None)),
            S("HOUSING-STREET", "Travail de rue et de milieu", "Street outreach",
              "Des travailleurs de rue vont à la rencontre des personnes en situation d'itinérance pour les "
              "écouter, les soutenir et les orienter.", "Street workers meet people experiencing homelessness to "
              "listen, support and refer them."),
            S("HOUSING-TRANSITION", "Logement de transition", "Transitional housing",
              "Studios meublés pour une durée de 6 à 24 mois avec suivi communautaire.",
              "Furnished studios for 6 to 24 months with community follow-up.", optional=True, fee=350.0),
        ),
        weight=0.5,
        scope="mrc",
    ),
    Archetype(
        key="sm",
        names=("{nick}, ressource alternative en santé mentale", "Centre d'entraide {nick}"),
        names_en=("{nick} Mental Health Resource",),
        nicknames=("Le Pavois", "L'Arrimage", "La Lanterne", "Le Rivage", "Le Fil d'Ariane", "L'Envol"),
        desc_fr=(
            "Ressource communautaire en santé mentale qui offre un milieu de vie, de l'entraide et des activités "
            "aux adultes qui vivent avec un problème de santé mentale."
        ),
        desc_en="A community mental health resource offering a drop-in centre, peer support and activities for "
                "adults living with mental health problems.",
        services=(
            S("MENTAL-PEER", "Entraide et milieu de jour en santé mentale", "Mental health peer support and day "
              "centre", "Milieu de vie, groupes d'entraide et activités pour briser l'isolement.",
              "Drop-in centre, peer support groups and activities to break isolation.",
              extra_codes=("MENTAL-DAY",), ages=(18, None)),
            S("MENTAL-COUNSEL", "Suivi individuel et intervention", "Individual support",
              "Rencontres avec une intervenante pour traverser une période difficile: anxiété, dépression, deuil.",
              "Meetings with a counsellor through a hard time: anxiety, depression, grief.", ages=(18, None)),
            S("MENTAL-FAMILY", "Soutien aux familles et proches en santé mentale", "Support for families of "
              "people with mental illness", "Soutien, information et répit pour les membres de l'entourage d'une "
              "personne atteinte de maladie mentale.", "Support, information and respite for relatives of "
              "someone with a mental illness.", optional=True),
        ),
        weight=0.8,
        scope="mrc",
    ),
    Archetype(
        key="prevention_suicide",
        names=("Centre de prévention du suicide {region_de}",),
        names_en=("{region_name} Suicide Prevention Centre",),
        desc_fr=(
            "Le centre de prévention du suicide offre une ligne d'intervention 24/7 (1 866 APPELLE), du soutien "
            "aux personnes endeuillées par suicide et de la formation."
        ),
        desc_en="The suicide prevention centre runs a 24/7 crisis line (1 866 277-3553), supports people "
                "bereaved by suicide and offers training.",
        services=(
            S("CRISIS-SUICIDE", "Intervention téléphonique en prévention du suicide", "Suicide prevention crisis "
              "line", "Ligne d'intervention 24/7 pour les personnes qui ont des idées suicidaires, leurs proches et "
              "les personnes endeuillées.", "24/7 line for people with suicidal thoughts, their loved ones and "
              "people bereaved by suicide.", hours="always", extra_codes=("MENTAL-CRISIS",)),
            S("CRISIS-PSYCHOSOCIAL", "Suivi de crise", "Crisis follow-up",
              "Rencontres de suivi à court terme après une crise suicidaire.",
              "Short-term follow-up meetings after a suicidal crisis."),
        ),
        weight=0.3,
        scope="region",
    ),
    Archetype(
        key="ecoute",
        names=("Tel-Écoute {region_de}", "Ligne d'écoute {nick}"),
        names_en=("{region_name} Listening Line",),
        nicknames=("Tel-Aide", "Écoute-Entraide", "Tel-Amis"),
        desc_fr="Service d'écoute téléphonique anonyme et confidentiel offert par des bénévoles formés.",
        desc_en="An anonymous, confidential listening line staffed by trained volunteers.",
        services=(
            S("CRISIS-LISTEN", "Ligne d'écoute", "Listening line",
              "Écoute anonyme et confidentielle pour toute personne qui vit de la solitude, de l'anxiété ou une "
              "période difficile.", "Anonymous, confidential listening for anyone facing loneliness, anxiety or a "
              "hard time.", hours="evenings"),
        ),
        weight=0.3,
        scope="region",
    ),
    Archetype(
        key="dependances",
        names=("Centre de réadaptation en dépendance {de}", "Maison {nick}, thérapie en dépendances"),
        names_en=("{place} Addiction Rehabilitation Centre",),
        nicknames=("L'Alcôve", "Le Rucher", "La Rose des vents", "Le Portage", "L'Émergence"),
        desc_fr="Services de traitement et de réadaptation pour les personnes aux prises avec une dépendance à "
                "l'alcool, aux drogues ou aux jeux de hasard, et soutien à leur entourage.",
        desc_en="Treatment and rehabilitation for people with alcohol, drug or gambling addictions, and support "
                "for their families.",
        services=(
            S("ADDICT-TREAT", "Thérapie en dépendances", "Addiction treatment",
              "Programme de thérapie interne ou externe de 3 à 12 semaines. Évaluation préalable requise.",
              "Residential or outpatient program of 3 to 12 weeks. Assessment required first.", ages=(18, None)),
            S("ADDICT-DETOX", "Désintoxication", "Detox", "Sevrage sécuritaire encadré par une équipe médicale.",
              "Safe withdrawal supervised by a medical team.", optional=True, ages=(18, None)),
            S("ADDICT-GAMBLING", "Aide pour le jeu excessif", "Help with problem gambling",
              "Rencontres individuelles pour les joueurs et leurs proches.", "Individual meetings for gamblers "
              "and their families.", optional=True),
            S("ADDICT-HARM", "Réduction des méfaits et matériel de consommation", "Harm reduction supplies",
              "Distribution de matériel stérile, naloxone et dépistage, sans jugement.",
              "Sterile supplies, naloxone and testing, without judgment.", optional=True),
        ),
        weight=0.5,
        scope="mrc",
    ),
    Archetype(
        key="famille",
        names=("Maison de la famille {de}", "Carrefour familial {de}"),
        names_en=("{place} Family Centre",),
        desc_fr="Organisme communautaire famille qui soutient les parents et les enfants de 0 à 12 ans par des "
                "ateliers, des haltes-garderies et des activités parents-enfants.",
        desc_en="A family resource centre supporting parents and children up to 12 with workshops, drop-in "
                "daycare and parent-child activities.",
        services=(
            S("FAMILY-CENTRE", "Activités parents-enfants", "Parent-child activities",
              "Activités de stimulation et de jeu pour les tout-petits et leurs parents.",
              "Play and early stimulation activities for toddlers and their parents.", ages=(0, 5)),
            S("FAMILY-PARENTING", "Ateliers d'habiletés parentales", "Parenting workshops",
              "Ateliers en groupe sur la discipline, les émotions et la communication avec les enfants.",
              "Group workshops on discipline, emotions and communicating with children."),
            S("FAMILY-CHILDCARE", "Halte-garderie", "Drop-in daycare",
              "Garde occasionnelle pour les enfants de 18 mois à 5 ans, quelques heures par semaine.",
              "Occasional care for children 18 months to 5 years, a few hours a week.", ages=(1, 5), fee=3.0),
            S("FAMILY-SUPPLIES", "Comptoir de dépannage pour bébés", "Baby supplies bank",
              "Couches, lait maternisé et vêtements pour les familles à faible revenu.",
              "Diapers, formula and clothing for low-income families.", optional=True),
        ),
        weight=0.9,
    ),
    Archetype(
        key="aines",
        names=("Association des aînés {de}", "Club de l'âge d'or {de}", "Carrefour des aînés {de}"),
        names_en=("{place} Seniors' Association",),
        desc_fr="Regroupement de personnes aînées qui offre des activités de loisir, de l'information sur les "
                "droits et de l'aide pour demeurer à domicile.",
        desc_en="A seniors' association offering recreation, rights information and help to keep living at "
                "home.",
        services=(
            S("SENIORS-RECREATION", "Activités et loisirs pour aînés", "Seniors' recreation",
              "Cours d'exercice, dîners, sorties et jeux pour les 50 ans et plus.",
              "Exercise classes, lunches, outings and games for people 50 and over.", ages=(50, None), fee=25.0),
            S("SENIORS-RIGHTS", "Information sur les droits des aînés", "Seniors' rights information",
              "Information sur les régimes de retraite, le supplément de revenu garanti et la maltraitance.",
              "Information on pensions, the guaranteed income supplement and elder abuse.",
              extra_codes=("VIOLENCE-ELDER",), ages=(60, None)),
            S("SENIORS-HOMEHELP", "Aide à domicile", "Home help",
              "Entretien ménager léger, courses et préparation de repas pour rester à la maison plus longtemps.",
              "Light housekeeping, errands and meal preparation to stay at home longer.", ages=(65, None),
              fee=18.0, optional=True),
        ),
        weight=0.9,
    ),
    Archetype(
        key="handicap",
        names=("Association des personnes handicapées {de}", "Regroupement {nick} des personnes handicapées"),
        names_en=("{place} Association for People with Disabilities",),
        nicknames=("Horizon", "Avenir", "Solidarité", "Équilibre"),
        desc_fr="Organisme de défense des droits et de soutien pour les personnes vivant avec une déficience "
                "physique, intellectuelle ou un trouble du spectre de l'autisme, et pour leurs familles.",
        desc_en="Rights advocacy and support for people with a physical or intellectual disability or autism, "
                "and for their families.",
        services=(
            S("DISABILITY-ASSOC", "Activités et défense des droits", "Activities and advocacy",
              "Activités de loisir adaptées, information et accompagnement dans les démarches.",
              "Adapted recreation, information and help with paperwork."),
            S("DISABILITY-RESPITE", "Répit pour les familles", "Respite for families",
              "Camps de jour et fins de semaine de répit pour les familles d'une personne handicapée.",
              "Day camps and respite weekends for families of a person with a disability.", hours="weekends"),
            S("DISABILITY-AUTISM", "Soutien en autisme", "Autism support",
              "Groupes de soutien et ateliers pour les parents d'enfants autistes.",
              "Support groups and workshops for parents of autistic children.", optional=True),
        ),
        weight=0.6,
        scope="mrc",
    ),
    Archetype(
        key="immigration",
        names=("Service d'accueil des nouveaux arrivants {de}", "Carrefour d'intégration {de}"),
        names_en=("{place} Newcomer Welcome Service",),
        desc_fr="Accueil, installation et intégration des personnes immigrantes: démarches, francisation, emploi "
                "et rapprochement interculturel.",
        desc_en="Welcome, settlement and integration of immigrants: paperwork, French classes, employment and "
                "intercultural activities.",
        services=(
            S("IMMIGRATION-SETTLE", "Accueil et installation des nouveaux arrivants", "Newcomer settlement",
              "Aide pour la carte d'assurance maladie, le logement, l'inscription à l'école et les premières "
              "démarches.", "Help with the health card, housing, school registration and first steps."),
            S("IMMIGRATION-FRENCH", "Cours de francisation", "French classes",
              "Cours de français à temps partiel pour adultes immigrants, de jour et de soir.",
              "Part-time French classes for adult immigrants, day and evening."),
            S("IMMIGRATION-EMPLOY", "Intégration en emploi des personnes immigrantes", "Employment for "
              "immigrants", "Reconnaissance des diplômes, CV québécois et jumelage avec des employeurs.",
              "Credential recognition, Québec-style résumés and matching with employers.", optional=True),
        ),
        weight=0.5,
        scope="mrc",
    ),
    Archetype(
        key="alpha",
        names=("{nick}, groupe d'alphabétisation populaire", "Centre d'alphabétisation {de}"),
        names_en=("{place} Literacy Centre",),
        nicknames=("Le Tremplin", "La Boîte à lettres", "Alpha-Lire", "Le Mot de passe"),
        desc_fr="Groupe d'alphabétisation populaire qui aide les adultes à apprendre à lire, écrire, compter et "
                "utiliser un ordinateur.",
        desc_en="A popular literacy group helping adults learn to read, write, count and use a computer.",
        services=(
            S("EDUCATION-LITERACY", "Alphabétisation des adultes", "Adult literacy",
              "Ateliers en petits groupes pour apprendre à lire et à écrire, à son rythme.",
              "Small-group workshops to learn to read and write at your own pace.", ages=(16, None)),
            S("EDUCATION-DIGITAL", "Initiation à l'informatique", "Computer basics",
              "Apprendre à utiliser un téléphone intelligent, un courriel et les services en ligne.",
              "Learn to use a smartphone, e-mail and online services.", optional=True),
        ),
        weight=0.4,
    ),
    Archetype(
        key="transport",
        names=("Transport adapté et collectif {de}", "Corporation de transport collectif {de}"),
        names_en=("{place} Paratransit and Community Transit",),
        desc_fr="Transport adapté pour les personnes à mobilité réduite et transport collectif rural sur "
                "réservation.",
        desc_en="Paratransit for people with reduced mobility and on-demand rural community transit.",
        services=(
            S("TRANSPORT-ADAPTED", "Transport adapté", "Paratransit",
              "Transport porte-à-porte pour les personnes admises au transport adapté. Réservation la veille.",
              "Door-to-door rides for eligible people with reduced mobility. Book the day before.", fee=3.5),
            S("TRANSPORT-COLLECTIVE", "Transport collectif rural", "Rural community transit",
              "Places libres dans les véhicules scolaires et taxis collectifs, sur réservation.",
              "Seats on school buses and shared taxis, by reservation.", fee=4.0),
        ),
        weight=0.4,
        scope="mrc",
    ),
    Archetype(
        key="friperie",
        names=("Friperie {nick}", "Ressourcerie {de}", "Société Saint-Vincent de Paul {de}"),
        names_en=("{nick} Thrift Shop",),
        nicknames=("Le Grenier", "La Penderie", "Le Coffre", "Seconde Vie", "L'Armoire"),
        desc_fr="Vêtements, meubles et articles ménagers usagés à petit prix; bons d'achat gratuits pour les "
                "personnes référées.",
        desc_en="Low-cost used clothing, furniture and household items; free vouchers for people referred.",
        services=(
            S("CLOTHING-BANK", "Vestiaire et friperie", "Clothing bank and thrift shop",
              "Vêtements pour toute la famille à petit prix; gratuit sur référence d'un organisme.",
              "Clothing for the whole family at low prices; free with a referral."),
            S("CLOTHING-FURNITURE", "Meubles et électroménagers usagés", "Used furniture and appliances",
              "Meubles, literie et électroménagers à bas prix; livraison possible.",
              "Low-cost furniture, bedding and appliances; delivery available.", optional=True),
            S("CLOTHING-WINTER", "Manteaux d'hiver", "Winter coats",
              "Manteaux, bottes et mitaines gratuits pour enfants et adultes, d'octobre à janvier.",
              "Free coats, boots and mittens for children and adults, October to January.", optional=True),
        ),
        weight=0.8,
    ),
    Archetype(
        key="juridique",
        names=("Bureau d'aide juridique {de}", "Centre de justice de proximité {region_de}"),
        names_en=("{place} Legal Aid Office",),
        desc_fr="Services juridiques gratuits ou à faible coût pour les personnes admissibles, et information "
                "juridique pour tous.",
        desc_en="Free or low-cost legal services for eligible people, and legal information for everyone.",
        services=(
            S("LEGAL-AID", "Aide juridique", "Legal aid",
              "Représentation par un avocat en droit de la famille, criminel, du logement ou de l'immigration, "
              "selon l'admissibilité financière.", "Representation by a lawyer in family, criminal, housing or "
              "immigration law, subject to financial eligibility."),
            S("LEGAL-INFO", "Information juridique gratuite", "Free legal information",
              "Information juridique gratuite et confidentielle et orientation vers les bonnes ressources.",
              "Free, confidential legal information and referral to the right resources."),
            S("LEGAL-MEDIATION", "Médiation familiale", "Family mediation",
              "Séances de médiation pour les parents qui se séparent; cinq heures gratuites avec enfants.",
              "Mediation sessions for separating parents; five free hours with children.", optional=True),
        ),
        weight=0.4,
        scope="mrc",
    ),
    Archetype(
        key="sante",
        names=("Clinique communautaire {de}", "Coopérative de solidarité santé {de}"),
        names_en=("{place} Community Clinic",),
        desc_fr="Clinique de proximité qui offre des soins infirmiers, de la vaccination et un accès à un médecin "
                "pour les personnes sans médecin de famille.",
        desc_en="A neighbourhood clinic offering nursing care, vaccination and access to a doctor for people "
                "without a family doctor.",
        services=(
            S("HEALTH-PRIMARY", "Consultations sans rendez-vous", "Walk-in clinic",
              "Soins infirmiers et consultations médicales sans rendez-vous pour les problèmes de santé courants.",
              "Walk-in nursing care and medical visits for common health problems."),
            S("HEALTH-SEXUAL", "Santé sexuelle et dépistage", "Sexual health and testing",
              "Dépistage des ITSS, contraception et pilule du lendemain, confidentiel.",
              "STI testing, contraception and emergency contraception, confidential.", optional=True,
              ages=(14, None)),
            S("HEALTH-DENTAL", "Soins dentaires à faible coût", "Low-cost dental care",
              "Soins dentaires de base à tarif réduit pour les personnes à faible revenu.",
              "Basic dental care at reduced rates for people with a low income.", optional=True, fee=40.0),
        ),
        weight=0.5,
        scope="mrc",
    ),
    Archetype(
        key="emploi",
        names=("Service d'intégration au travail {de}", "Entreprise d'insertion {nick}"),
        names_en=("{place} Employment Integration Service",),
        nicknames=("Le Tremplin", "Recyclo", "Bouffe-Action", "Atelier Boutique"),
        desc_fr="Organisme d'employabilité qui accompagne les adultes éloignés du marché du travail vers un emploi "
                "durable.",
        desc_en="An employment organisation helping adults far from the labour market into lasting jobs.",
        services=(
            S("INCOME-EMPLOY", "Aide à la recherche d'emploi", "Job search help",
              "Orientation, CV, préparation aux entrevues et suivi en emploi.",
              "Career guidance, résumés, interview preparation and follow-up once hired.", ages=(18, None)),
            S("INCOME-INSERTION", "Parcours d'insertion socioprofessionnelle", "Work integration program",
              "Stage rémunéré de 26 semaines en entreprise d'insertion.", "A paid 26-week placement in a "
              "social enterprise.", ages=(18, None)),
            S("INCOME-BENEFITS", "Aide pour les demandes d'aide sociale et d'assurance-emploi", "Help with "
              "welfare and employment insurance claims", "Accompagnement pour remplir les demandes et contester "
              "une décision.", "Help to fill in applications and contest a decision.", optional=True),
        ),
        weight=0.6,
        scope="mrc",
    ),
)
