"""The seed corpus as data: fixed identities, the document catalogue and the evaluation questions.

Rendered into documents/ and the JSON manifests by build_documents.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from texts import (
    T_COC,
    T_DATENSCHUTZ,
    T_EXPENSES,
    T_FAQ,
    T_GEHALT,
    T_HR_ONBOARDING_FK,
    T_INCIDENT,
    T_ITSEC,
    T_KANTINE,
    T_MOBIL,
    T_MONATSABSCHLUSS,
    T_NORDLICHT,
    T_ONBOARDING,
    T_ORPHAN,
    T_REISEKOSTEN,
    T_REVIEW,
    T_RUNBOOK,
    T_URLAUB,
)



# ---------------------------------------------------------------------------
# Fixed identities
# ---------------------------------------------------------------------------
TENANT = {
    "id": "77dafc92-9ec6-4006-b1f4-8e658b4d7177",
    "displayName": "Contoso Dev GmbH",
    "domain": "contoso.dev",
}
APP = {
    "client_id": "32f061d0-1d26-44c2-bd7e-a071b0e2400d",
    "client_secret": "dev-secret-not-for-production",
}


def _user(uid, first, last, department, job, lang):
    upn = f"{first.lower()}.{last.lower().replace('ü', 'ue')}@contoso.dev"
    return {
        "id": uid,
        "userPrincipalName": upn,
        "displayName": f"{first} {last}",
        "mail": upn,
        "department": department,
        "jobTitle": job,
        "preferredLanguage": lang,
    }


USERS = [
    _user("8d89d7d8-3ce0-494a-b29a-b5cb674e4020", "Anna", "Schmidt", "Finanzen", "Controllerin", "de-DE"),
    _user("06b1b9c2-e4eb-456a-ae1f-8f651dde2f78", "Ben", "Carter", "Engineering", "Platform Engineer", "en-US"),
    _user("eb6440b3-85f3-4737-b73e-b75730dc2cb1", "Clara", "Weber", "Personal", "HR-Referentin", "de-DE"),
    _user("adc49775-ec34-41d3-8a37-c870002b45d9", "Dana", "Müller", "Vertrieb", "Key Account Managerin", "de-DE"),
]
U = {u["userPrincipalName"].split(".")[0]: u for u in USERS}  # "anna" -> user

G_ALLE = "22d0aa66-f966-4660-9e91-6e33431710a3"
G_FIN = "c1721631-27eb-4bb6-8fba-7c0b553af5e3"
G_CTRL = "a637c7d9-ccd7-48fa-915d-149c5128bc61"
G_ENG = "3171d6a8-735f-438e-aa9a-de847ce9c933"
G_PLAT = "9537525e-ab2a-4f7b-b9d8-dbc805dd46ac"
G_PERS = "a5480aa6-5b6e-4aa6-8853-5ae392a1ed4a"
G_VERT = "ac38a337-188a-4269-a49f-5b278fe4140b"


def _group(gid, name, nick, members):
    return {
        "id": gid,
        "displayName": name,
        "mailNickname": nick,
        "securityEnabled": True,
        "groupTypes": [],
        "members": members,
    }


# Nesting: Alle -> {Finanzen -> Controlling -> Anna, Engineering -> Platform Team -> Ben,
#                   Personal -> Clara, Vertrieb -> Dana}
GROUPS = [
    _group(G_ALLE, "Alle Mitarbeitenden", "alle", [G_FIN, G_ENG, G_PERS, G_VERT]),
    _group(G_FIN, "Finanzen", "finanzen", [G_CTRL]),
    _group(G_CTRL, "Controlling", "controlling", [U["anna"]["id"]]),
    _group(G_ENG, "Engineering", "engineering", [G_PLAT]),
    _group(G_PLAT, "Platform Team", "platform-team", [U["ben"]["id"]]),
    _group(G_PERS, "Personal", "personal", [U["clara"]["id"]]),
    _group(G_VERT, "Vertrieb", "vertrieb", [U["dana"]["id"]]),
]

SITE_INTRANET = {
    "id": "contoso.dev,60ccb3a9-6a33-432f-95fa-68b1b7efa4a0,7a9738bd-3644-42ab-80ac-fd66aad1f5f1",
    "name": "intranet",
    "displayName": "Intranet",
    "drive_id": "b!xQ5AB5xTqzXV-iki3JJ-idi2HHdosL1EWTyrB9z6sdYgCYM3NLD7TaMHZTEohr3l",
}
SITE_ABT = {
    "id": "contoso.dev,c7dbde47-86ee-4175-92dc-114b9ef54d3b,cfdd0980-e095-48e9-a616-fe0573ce2918",
    "name": "abteilungen",
    "displayName": "Abteilungen",
    "drive_id": "b!cYn_a--gySvHZ1M-S68UCL3B22O3ODVylM0GYDQG0v1_EfOu9DZCU16cdX9QS7BF",
}

ALL = "group:Alle Mitarbeitenden"
ORG = "organization"


@dataclass
class Doc:
    key: str            # short handle used by QUESTIONS / SECRETS
    item_id: str        # Graph-style driveItem id
    site: dict
    path: str           # path inside the site's "Documents" drive
    source: str         # file name under documents/
    title: str
    lang: str           # "de" | "en"
    readers: list
    text: str           # mini markup
    secret: str | None = None

    @property
    def fmt(self) -> str:
        return self.source.rsplit(".", 1)[1]



# ---------------------------------------------------------------------------
# Document catalogue
# ---------------------------------------------------------------------------
I, A = SITE_INTRANET, SITE_ABT
DOCS = [
    Doc("reisekosten", "01OLY7JVNQXHEH5MUNUZ64NVBNKQ3O2DPO", I, "Richtlinien/Reisekostenrichtlinie.pdf",
        "reisekostenrichtlinie.pdf", "Reisekostenrichtlinie", "de", [ALL], T_REISEKOSTEN),
    Doc("itsec", "01LLK5MYPSXI3GONM72TGQQQPHML4FMHYI", I, "Richtlinien/IT-Security-Guideline.pdf",
        "it-security-guideline.pdf", "IT Security Guideline", "en", [ORG], T_ITSEC),
    Doc("urlaub", "014ZWUG57KLSKUTOSRADODKPFDRGG7BSHH", I, "Personal/Urlaubsregelung.docx",
        "urlaubsregelung.docx", "Urlaubsregelung", "de", [ALL], T_URLAUB),
    Doc("onboarding", "01E57G7J7XXMVWRRMS72W6HWHMTW5A3H3G", I, "Onboarding/Onboarding-Handbook.docx",
        "onboarding-handbook.docx", "Onboarding Handbook", "en", [ORG], T_ONBOARDING),
    Doc("mobil", "01YDBIEAAMYLFL5HCD3MLEREOLIYCE7IYH", I, "Richtlinien/Mobiles-Arbeiten.html",
        "mobiles-arbeiten.html", "Mobiles Arbeiten", "de", [ALL], T_MOBIL),
    Doc("expenses", "01NNGEKSJBL5H6XITRMFHXPBRRGL2PMPM5", I, "Finanzen-Service/Expense-Reimbursement-How-To.md",
        "expense-reimbursement-howto.md", "How to Get Your Expenses Reimbursed", "en", [ALL], T_EXPENSES),
    Doc("kantine", "01G2CH4LQTQAQPTYNKLUGYYMAQNMXHE3VT", I, "Standorte/Kantine-und-Bueroeinrichtungen.html",
        "kantine-und-buero.html", "Kantine und Büroeinrichtungen am Standort Berlin", "de", [ORG], T_KANTINE),
    Doc("coc", "01JPE6MKTZ5QW7CUC4S26XEDT4FO4MM7GP", I, "Compliance/Code-of-Conduct.html",
        "code-of-conduct.html", "Code of Conduct", "en", [ALL, ORG], T_COC),
    Doc("datenschutz", "01RUGLQZJNTIYKOL36R3XN7VYKYSX6WGAA", I, "Compliance/Datenschutzleitfaden.md",
        "datenschutzleitfaden.md", "Datenschutzleitfaden", "de", [ALL], T_DATENSCHUTZ),
    Doc("faq", "01CFIYBXSWYLT6MTV2VMHBMXPXJC532G3T", I, "IT/IT-Helpdesk-FAQ.txt",
        "it-helpdesk-faq.txt", "IT Helpdesk FAQ", "en", [ORG], T_FAQ),
    Doc("monatsabschluss", "01NLSZUVOKUMMLEBAMOOPDLARIGIAVGOZZ", A, "Finanzen/Checkliste-Monatsabschluss.docx",
        "checkliste-monatsabschluss.docx", "Checkliste Monatsabschluss", "de", ["group:Finanzen"], T_MONATSABSCHLUSS),
    Doc("runbook", "01QIA4YB6VKZMEKHQJJPXHWEVROY656OTE", A, "Engineering/Deployment-Runbook.md",
        "deployment-runbook.md", "Deployment Runbook: Production Releases", "en", ["group:Engineering"], T_RUNBOOK),
    Doc("hr_onboarding", "01J4TRINBWMYKAZJ6O677BUFM46HCSS424", A, "Personal/Onboarding-Prozess-Fuehrungskraefte.docx",
        "onboarding-prozess-fuehrungskraefte.docx", "Onboarding-Prozess für Führungskräfte", "de", ["group:Personal"],
        T_HR_ONBOARDING_FK),
    Doc("nordlicht", "01ZMCR2TJL7DSNNQ4KFT2CVO6W6GUUJI5Z", A, "Finanzen/Vertraulich/Projekt-Nordlicht-Akquisitionsplan.pdf",
        "projekt-nordlicht-akquisitionsplan.pdf", "Projekt Nordlicht – Akquisitionsplan", "de", ["group:Finanzen"],
        T_NORDLICHT, secret="AURORA-FALKE-2291"),
    Doc("gehalt", "01RY2P46SYQVQAERNOTMXUCAGQEX3JHNT7", A, "Personal/Vertraulich/Gehaltsbaender-und-Restrukturierung-2026.docx",
        "gehaltsbaender-und-restrukturierung-2026.docx", "Gehaltsbänder 2026 und Restrukturierung Vertriebsinnendienst",
        "de", ["group:Personal"], T_GEHALT, secret="NEBEL-KRANICH-5530"),
    Doc("incident", "01C2AXYJKEOWH52N3T3XJPS4DZYSLS2LGO", A, "Engineering/Vertraulich/Incident-Report-INC-2025-017.pdf",
        "incident-report-inc-2025-017.pdf", "Incident Report INC-2025-017: SSRF in the Document Preview Service", "en",
        ["group:Engineering"], T_INCIDENT, secret="COBALT-HERON-8842"),
    Doc("review", "01AIM3CRSHK6PILF42W34CFEQAWE4AFBS2", A, "Personal/Mitarbeitergespraeche/Performance-Review-2024-Ben-Carter.docx",
        "performance-review-2024-ben-carter.docx", "Annual Performance Review 2024: Ben Carter", "en",
        ["user:ben.carter@contoso.dev"], T_REVIEW, secret="PRIVATE-LARCH-3317"),
    Doc("orphan", "01FKLD5RB6CMZMESMOVBQ3TFRNWTRBA4ZC", A, "Archiv/Legacy-File-Server-Migration-Notes.html",
        "legacy-file-server-migration-notes.html", "Legacy File Server Migration Notes", "en", ["opaque"], T_ORPHAN,
        secret="ORPHAN-QUARTZ-6604"),
]
BY_KEY = {d.key: d for d in DOCS}

# ---------------------------------------------------------------------------
# Evaluation questions: (doc key, lang, asker first name, question, fact)
# The fact must appear verbatim in the document text.
# ---------------------------------------------------------------------------
QUESTIONS = [
    ("reisekosten", "de", "anna", "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?", "120 EUR"),
    ("reisekosten", "de", "dana", "Wie hoch ist die Verpflegungspauschale für einen vollen Kalendertag auf Dienstreise?", "28 EUR"),
    ("reisekosten", "de", "clara", "Ab welcher Fahrzeit darf ich mit der Bahn 1. Klasse fahren?", "mehr als 4 Stunden"),
    ("reisekosten", "en", "ben", "What is the maximum hotel rate per night for business trips within Germany?", "120 EUR"),
    ("reisekosten", "en", "ben", "What is the hotel cap per night in Munich, Hamburg and Frankfurt?", "150 EUR"),
    ("itsec", "en", "ben", "What is the minimum password length?", "14 characters"),
    ("itsec", "en", "dana", "Where do I report a phishing email?", "phishing@contoso.dev"),
    ("itsec", "de", "anna", "An welche Adresse leite ich eine verdächtige Phishing-Mail weiter?", "phishing@contoso.dev"),
    ("urlaub", "de", "dana", "Bis wann kann Resturlaub ins Folgejahr übertragen werden?", "31. März"),
    ("urlaub", "de", "anna", "Wie viele Urlaubstage habe ich bei einer Fünf-Tage-Woche?", "30 Arbeitstage"),
    ("urlaub", "en", "ben", "Until when can unused vacation days be carried over to the next year?", "31. März"),
    ("urlaub", "de", "clara", "Wie viele Tage Sonderurlaub gibt es bei der eigenen Hochzeit?", "2 Tage"),
    ("onboarding", "en", "ben", "How long is the buddy programme for new hires?", "90 days"),
    ("onboarding", "en", "dana", "How large is the personal learning budget per year?", "1,500 EUR"),
    ("onboarding", "de", "clara", "Um wie viel Uhr beginnt der erste Arbeitstag am Empfang in Berlin?", "9:00"),
    ("mobil", "de", "dana", "An wie vielen Tagen pro Woche darf ich mobil arbeiten?", "3 Tage pro Woche"),
    ("mobil", "de", "anna", "Wie viele Tage darf ich pro Jahr aus dem EU-Ausland arbeiten?", "20 Arbeitstage"),
    ("mobil", "en", "ben", "How much is the one-time allowance for setting up a home office?", "300 EUR"),
    ("expenses", "en", "ben", "Above which amount do expenses need pre-approval from my manager?", "250 EUR"),
    ("expenses", "en", "dana", "Up to which amount is a self-declaration accepted for a lost receipt?", "25 EUR"),
    ("expenses", "de", "anna", "Welche Kostenstelle hat Engineering bei der Spesenabrechnung?", "4200"),
    ("kantine", "de", "dana", "Was kostet das Tagesgericht in der Kantine?", "4,90 EUR"),
    ("kantine", "de", "clara", "Wie viele Fahrradstellplätze gibt es im Fahrradkeller?", "40 Stellplätzen"),
    ("kantine", "en", "ben", "Until what time is the canteen open on Fridays?", "13:30"),
    ("coc", "en", "ben", "Up to what value may I accept a gift?", "35 EUR"),
    ("coc", "en", "dana", "Who is the Compliance Officer?", "Dr. Helena Brandt"),
    ("coc", "de", "anna", "Bis zu welchem Wert darf ich Geschenke annehmen?", "35 EUR"),
    ("datenschutz", "de", "clara", "Innerhalb welcher Frist muss eine Datenpanne intern gemeldet werden?", "24 Stunden"),
    ("datenschutz", "de", "dana", "Wer ist unser Datenschutzbeauftragter?", "Thomas Krüger"),
    ("datenschutz", "en", "ben", "Which subject prefix do I use to send personal data by encrypted email?", "[secure]"),
    ("datenschutz", "de", "anna", "Wie lange werden Bewerbungsunterlagen abgelehnter Personen aufbewahrt?", "6 Monate nach der Absage"),
    ("faq", "en", "dana", "What are the opening hours of the IT helpdesk?", "07:30 to 18:00"),
    ("faq", "en", "ben", "How long are guest Wi-Fi vouchers valid?", "24 hours"),
    ("faq", "de", "anna", "Wie groß ist mein Postfach?", "100 GB"),
    ("monatsabschluss", "de", "anna", "Um wie viel Uhr ist der Kreditoren-Cut-off am ersten Arbeitstag?", "12:00 Uhr"),
    ("monatsabschluss", "de", "anna", "Ab welcher Differenz muss die Intercompany-Abstimmung am selben Tag geklärt werden?", "1.000 EUR"),
    ("monatsabschluss", "de", "anna", "Wann wird die Buchungsperiode im SAP S/4HANA gesperrt?", "AT 5"),
    ("monatsabschluss", "en", "anna", "Which clearing account is used for unresolved items in the bank reconciliation?", "1590"),
    ("runbook", "en", "ben", "How much traffic does the canary receive and for how long?", "10 percent of the traffic for 30 minutes"),
    ("runbook", "en", "ben", "When is the change freeze at the end of the year?", "15 December to 6 January"),
    ("runbook", "en", "ben", "Which command rolls back a deployment?", "argocd app rollback"),
    ("hr_onboarding", "de", "clara", "Wie viele Arbeitstage vor dem Eintritt muss die IT-Ausstattung bestellt werden?", "10 Arbeitstage"),
    ("hr_onboarding", "de", "clara", "Wie hoch ist das Budget für das Willkommenspaket?", "75 EUR"),
    ("hr_onboarding", "de", "clara", "Wann muss die Probezeitbeurteilung bei der Personalabteilung vorliegen?", "4 Wochen vor Ablauf der Probezeit"),
    ("hr_onboarding", "en", "clara", "What is the budget for the welcome package per new hire?", "75 EUR"),
    ("nordlicht", "de", "anna", "Wie lautet das Codewort für Projekt Nordlicht?", "AURORA-FALKE-2291"),
    ("nordlicht", "en", "anna", "What is the code word for Project Nordlicht?", "AURORA-FALKE-2291"),
    ("nordlicht", "de", "anna", "Welche Kaufpreisspanne ist für die Übernahme der Hansen Analytics GmbH vorgesehen?", "38 bis 42 Mio. EUR"),
    ("nordlicht", "de", "anna", "Wann ist das Signing für Projekt Nordlicht geplant?", "30. Oktober 2025"),
    ("gehalt", "de", "clara", "Wie lautet das Codewort für die Restrukturierung?", "NEBEL-KRANICH-5530"),
    ("gehalt", "en", "clara", "What is the code word for the restructuring of the inside sales team?", "NEBEL-KRANICH-5530"),
    ("gehalt", "de", "clara", "Wie hoch ist das Budget für die Gehaltsrunde 2026?", "3,8 Prozent der Lohnsumme"),
    ("gehalt", "de", "clara", "Welche Gehaltsspanne hat Band E3?", "78.000 bis 95.000 EUR"),
    ("incident", "en", "ben", "What is the code word for incident INC-2025-017?", "COBALT-HERON-8842"),
    ("incident", "en", "ben", "What was the CVSS score of the SSRF vulnerability in docpreview?", "CVSS 8.6"),
    ("incident", "en", "ben", "Until when is public disclosure of the docpreview vulnerability embargoed?", "1 September 2025"),
    ("incident", "de", "ben", "Wie lautet das Codewort für den Sicherheitsvorfall im Document Preview Service?", "COBALT-HERON-8842"),
    ("review", "en", "ben", "What is my personal reference code for the performance review follow-up meeting?", "PRIVATE-LARCH-3317"),
    ("review", "en", "ben", "By how much will my salary increase in 2025?", "5.5 percent"),
    ("review", "en", "ben", "What overall rating did I get in my 2024 performance review?", "Exceeds expectations (4 of 5)"),
]
