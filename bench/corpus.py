#!/usr/bin/env python3
"""Generate a deterministic benchmark corpus of Danish municipal-IT news articles.

The project's copy of the corpus generator the issue's peer figures were measured with
(10,000 articles of ~6 KB, 8 sections, 362 tags, 25 authors); bench/peers.py writes the
same articles for kommunenyt, Pelican and Hugo with it.

Stdlib only (Python 3.11+).  Same --seed and --n give byte-identical output.
Article i is drawn from its own RNG (seeded from --seed and i), so the corpus for
--n 1000 is exactly the first 1000 articles of the corpus for --n 10000.

Usage:
    make_corpus.py --n N --out DIR [--format native|pelican|hugo] [--seed 1] [--force]

Formats (see README.md next to this file):
    native   DIR/articles/YYYY/<slug>.md   YAML front matter between '---' lines
    pelican  DIR/content/YYYY/<slug>.md    Pelican Markdown metadata headers
    hugo     DIR/content/posts/YYYY/<slug>.md  Hugo YAML front matter
All formats also write DIR/authors.yaml.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import sys
import time

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

SECTIONS = [
    "Udbud",
    "Digitalisering",
    "Sikkerhed",
    "Drift",
    "Jura",
    "Økonomi",
    "Sundhed-IT",
    "Andet",
]
# Section weights (news desks are not uniform).
SECTION_WEIGHTS = [18, 22, 16, 12, 8, 9, 9, 6]

MUNICIPALITIES = [
    "København",
    "Frederiksberg",
    "Albertslund",
    "Ballerup",
    "Brøndby",
    "Dragør",
    "Gentofte",
    "Gladsaxe",
    "Glostrup",
    "Herlev",
    "Hvidovre",
    "Høje-Taastrup",
    "Ishøj",
    "Lyngby-Taarbæk",
    "Rødovre",
    "Tårnby",
    "Vallensbæk",
    "Allerød",
    "Egedal",
    "Fredensborg",
    "Frederikssund",
    "Furesø",
    "Gribskov",
    "Halsnæs",
    "Helsingør",
    "Hillerød",
    "Hørsholm",
    "Rudersdal",
    "Bornholm",
    "Greve",
    "Køge",
    "Lejre",
    "Roskilde",
    "Solrød",
    "Faxe",
    "Guldborgsund",
    "Holbæk",
    "Kalundborg",
    "Lolland",
    "Næstved",
    "Odsherred",
    "Ringsted",
    "Slagelse",
    "Sorø",
    "Stevns",
    "Vordingborg",
    "Assens",
    "Faaborg-Midtfyn",
    "Kerteminde",
    "Langeland",
    "Middelfart",
    "Nordfyns",
    "Nyborg",
    "Odense",
    "Svendborg",
    "Ærø",
    "Billund",
    "Esbjerg",
    "Fanø",
    "Fredericia",
    "Haderslev",
    "Kolding",
    "Sønderborg",
    "Tønder",
    "Varde",
    "Vejen",
    "Vejle",
    "Aabenraa",
    "Favrskov",
    "Hedensted",
    "Herning",
    "Holstebro",
    "Horsens",
    "Ikast-Brande",
    "Lemvig",
    "Norddjurs",
    "Odder",
    "Randers",
    "Ringkøbing-Skjern",
    "Samsø",
    "Silkeborg",
    "Skanderborg",
    "Skive",
    "Struer",
    "Syddjurs",
    "Viborg",
    "Aarhus",
    "Brønderslev",
    "Frederikshavn",
    "Hjørring",
    "Jammerbugt",
    "Læsø",
    "Mariagerfjord",
    "Morsø",
    "Rebild",
    "Thisted",
    "Vesthimmerland",
    "Aalborg",
]
REGIONS = [
    "Region Hovedstaden",
    "Region Sjælland",
    "Region Syddanmark",
    "Region Midtjylland",
    "Region Nordjylland",
]
VENDORS = [
    "KMD",
    "Netcompany",
    "Systematic",
    "EG",
    "Fujitsu",
    "Atea",
    "Microsoft",
    "Google",
    "Amazon Web Services",
    "IBM",
    "Oracle",
    "SAP",
    "Schultz",
    "Netic",
    "Trifork",
    "Capgemini",
    "Accenture",
    "Deloitte",
    "PwC",
    "KPMG",
    "EY",
    "Rambøll",
    "NNIT",
    "Visma",
    "Dedalus",
    "Columna",
    "Miracle",
    "Nine",
    "Twoday",
    "Itadel",
    "Globeteam",
    "Formpipe",
    "CGI",
    "Cisco",
    "Dell",
    "HP",
    "Lenovo",
    "Zylinc",
    "Kamstrup",
    "Sopra Steria",
    "TDC Erhverv",
    "Norlys",
    "Salesforce",
    "ServiceNow",
    "Topdanmark",
    "Bluegarden",
]
ORGS = [
    "KL",
    "KOMBIT",
    "Digitaliseringsstyrelsen",
    "Datatilsynet",
    "Rigsrevisionen",
    "Folketinget",
    "Finansministeriet",
    "Statens It",
    "Center for Cybersikkerhed",
    "Udbetaling Danmark",
    "Sundhedsdatastyrelsen",
    "Klagenævnet for Udbud",
    "Folketingets Ombudsmand",
    "IT-Branchen",
    "Dansk IT",
    "Digitaliseringsministeriet",
    "Rigsarkivet",
    "Konkurrence- og Forbrugerstyrelsen",
    "SKI",
    "Danske Regioner",
]
TOPICS = [
    "MitID",
    "NemID",
    "Digital Post",
    "e-Boks",
    "borger.dk",
    "Monopolbruddet",
    "KY",
    "KSD",
    "FLIS",
    "Serviceplatformen",
    "Fælleskommunal infrastruktur",
    "ESDH",
    "SBSYS",
    "Acadre",
    "Nexus",
    "Cura",
    "Aula",
    "SkoleIntra",
    "Meebook",
    "Microsoft 365",
    "Teams",
    "Azure",
    "Google Workspace",
    "Chromebooks",
    "cloud",
    "kunstig intelligens",
    "ChatGPT",
    "Copilot",
    "RPA",
    "softwarerobotter",
    "open source",
    "OS2",
    "OS2mo",
    "NIS2",
    "GDPR",
    "databeskyttelse",
    "phishing",
    "ransomware",
    "DDoS",
    "informationssikkerhed",
    "ISO 27001",
    "backup",
    "beredskab",
    "netværk",
    "wifi",
    "fibernet",
    "5G",
    "IoT",
    "smart city",
    "sensorer",
    "velfærdsteknologi",
    "telemedicin",
    "Sundhedsplatformen",
    "FMK",
    "hjemmepleje",
    "jobcentre",
    "STAR",
    "indkøb",
    "e-handel",
    "rammeaftaler",
    "udbudsloven",
    "licenser",
    "leverandørstyring",
    "outsourcing",
    "insourcing",
    "datacenter",
    "mainframe",
    "legacy",
    "arkivering",
    "journalisering",
    "cookies",
    "tilgængelighed",
    "WCAG",
    "selvbetjening",
    "chatbot",
    "dataetik",
    "algoritmer",
    "profilering",
    "overvågning",
    "kameraer",
    "betalingsløsninger",
    "lønsystemer",
    "Silkeborg Data",
    "økonomisystemer",
    "Opus",
    "Prisme",
    "ERP",
    "budget",
    "business intelligence",
    "data warehouse",
    "FK Organisation",
    "adgangsstyring",
    "MFA",
    "zero trust",
    "persondata",
    "konsulenter",
    "rekruttering",
    "kompetencer",
    "kvinder i it",
    "it-arkitektur",
    "fællesoffentlig arkitektur",
    "API",
    "integrationer",
    "digital forvaltning",
    "Q&A",
    "sms-tjenester",
    "Drift & hosting",
    "stordata",
    "geodata",
    "Danmarks Adressers Register",
    "CPR",
    "CVR",
    "Matriklen",
    "BBR",
    "skolernes it",
    "elevdata",
    "Google-sagen",
    "tolkning",
    "sagsbehandling",
    "automatisering",
    "borgerservice",
    "affaldsdata",
    "ejendomsskat",
    "Ejendomsvurdering",
    "Skattestyrelsen",
    "EFI",
    "gældsinddrivelse",
    "it-skandaler",
    "projektstyring",
    "it-strategi",
    "bæredygtig it",
    "energiforbrug",
    "genbrug af it-udstyr",
    "mobiltelefoni",
    "telefoni",
    "printere",
    "support",
    "servicedesk",
    "helpdesk",
    "brugeradministration",
    "single sign-on",
    "digitale signaturer",
    "e-læring",
    "videomøder",
    "hjemmearbejde",
    "cyberangreb",
    "hackere",
    "sårbarheder",
    "patches",
    "Log4j",
    "Exchange",
    "Windows 11",
    "Linux",
    "databaser",
    "PostgreSQL",
    "SQL Server",
    "Kubernetes",
    "containere",
    "mikrotjenester",
    "DevOps",
    "agil udvikling",
    "SAFe",
    "testautomatisering",
    "kvalitetssikring",
    "brugerinddragelse",
    "UX",
    "designsystem",
    "hjemmesider",
    "intranet",
    "SharePoint",
    "dokumenthåndtering",
    "e-mail",
    "spam",
    "kryptering",
    "certifikater",
    "revision",
    "tilsyn",
    "whistleblower",
    "databrud",
    "bøder",
    "klagesager",
    "aktindsigt",
    "offentlighedsloven",
    "forvaltningsloven",
    "ophavsret",
    "kontraktret",
    "exit-strategi",
    "leverandørskifte",
    "lock-in",
    "licensaudit",
    "totaløkonomi",
    "business case",
    "gevinstrealisering",
]
TAG_POOL = sorted(set(MUNICIPALITIES + REGIONS + VENDORS + ORGS + TOPICS))

FIRST = [
    "Anne",
    "Søren",
    "Mette",
    "Lars",
    "Hanne",
    "Jørgen",
    "Birgitte",
    "Mads",
    "Signe",
    "Rasmus",
    "Louise",
    "Bjørn",
    "Karen",
    "Thomas",
    "Ida",
    "Jens",
    "Pernille",
    "Kasper",
    "Maja",
    "Niels",
    "Lærke",
    "Frederik",
    "Åse",
    "Christian",
    "Camilla",
    "Peter",
    "Tove",
    "Mikkel",
]
LAST = [
    "Kjærgaard",
    "Østergaard",
    "Bæk",
    "Sørensen",
    "Møller",
    "Lund",
    "Dahl",
    "Kløve",
    "Ågård",
    "Holm",
    "Nørgaard",
    "Bruun",
    "Skovgård",
    "Frølich",
    "Højer",
    "Andersen",
    "Jæger",
    "Løkke",
    "Winther",
    "Brøndum",
    "Krogh",
    "Mølgaard",
    "Thygesen",
    "Ravn",
    "Sønderby",
    "Vestergaard",
    "Fjord",
]
ROLES = [
    "it-chef",
    "digitaliseringschef",
    "kommunaldirektør",
    "borgmester",
    "direktør",
    "afdelingsleder",
    "informationssikkerhedskoordinator",
    "DPO",
    "projektleder",
    "udbudschef",
    "rådmand",
    "formand for KL's digitaliseringsudvalg",
    "CISO",
    "arkitekt",
    "sektionsleder",
    "konsulent",
    "partner",
    "analytiker",
    "professor",
    "advokat",
]

SYSTEMS = [
    "sagsbehandlingssystem",
    "ESDH-system",
    "økonomisystem",
    "lønsystem",
    "omsorgssystem",
    "skoleintranet",
    "borgerportal",
    "netværk",
    "datacenter",
    "backup-system",
    "booking-system",
    "ydelsessystem",
    "HR-system",
    "it-driftsaftale",
    "callcenter",
    "identitetsstyringssystem",
    "integrationsplatform",
    "dokumentarkiv",
    "jobcentersystem",
    "affaldssystem",
    "ejendomssystem",
]
SYSTEMS_DEF = [
    "den gamle sagsbehandlingsløsning",
    "ESDH-systemet",
    "økonomisystemet",
    "kontrakten med leverandøren",
    "it-driften",
    "netværket",
    "de fælleskommunale løsninger",
    "borgerservice",
    "lønsystemet",
    "sikkerhedsniveauet",
    "adgangsstyringen",
    "backup-løsningen",
    "skoleintranettet",
    "omsorgssystemet",
    "hjemmesiden",
    "datacentret",
    "integrationsplatformen",
    "arkiveringen",
    "servicedesken",
    "mailsystemet",
    "telefonien",
    "licensaftalen",
    "rammeaftalen",
    "jobcentrets it",
    "de gamle servere",
    "brugeradministrationen",
    "log-overvågningen",
]
SUBJECTS = [
    "Kommunen",
    "Forvaltningen",
    "Leverandøren",
    "It-chefen",
    "Styregruppen",
    "Byrådet",
    "Regionen",
    "Datatilsynet",
    "Digitaliseringsstyrelsen",
    "KL",
    "Projektet",
    "Borgerne",
    "Medarbejderne",
    "Systemet",
    "Løsningen",
    "Udbuddet",
    "Kontrakten",
    "Direktionen",
    "Økonomiudvalget",
    "Rigsrevisionen",
    "It-afdelingen",
    "Sekretariatet",
    "Konsulenthuset",
    "Ministeriet",
    "Fagforeningen",
    "Brugerne",
    "Skolerne",
    "Hjemmeplejen",
    "Jobcentret",
]
MODALS = [
    "har besluttet at",
    "forventer at",
    "vil",
    "skal",
    "kan ikke",
    "har valgt at",
    "arbejder på at",
    "overvejer at",
    "må",
    "bør",
    "har netop fået lov til at",
    "er i gang med at",
    "ønsker at",
    "har svært ved at",
    "planlægger at",
    "nægter at",
    "er klar til at",
]
INFINITIVES = [
    "udskifte",
    "forlænge",
    "genudbyde",
    "implementere",
    "afvikle",
    "opgradere",
    "sikre",
    "migrere",
    "teste",
    "lukke",
    "købe",
    "vurdere",
    "styrke",
    "digitalisere",
    "konsolidere",
    "udvide",
    "evaluere",
    "centralisere",
    "outsource",
    "hjemtage",
    "modernisere",
    "dokumentere",
    "godkende",
    "afskaffe",
    "kortlægge",
    "prioritere",
]
ADVERBIALS = [
    "inden udgangen af året",
    "i løbet af foråret",
    "allerede til sommer",
    "uden ekstra omkostninger",
    "på trods af kritikken",
    "ifølge planen",
    "i samarbejde med KOMBIT",
    "efter en længere proces",
    "som led i den nye strategi",
    "i første omgang",
    "hurtigst muligt",
    "inden for budgettet",
    "med øjeblikkelig virkning",
    "over de næste tre år",
    "i tæt dialog med leverandøren",
    "på tværs af forvaltningerne",
    "før næste budgetforhandling",
    "efter sommerferien",
    "uden at informere byrådet",
    "i henhold til udbudsloven",
    "med hjælp fra eksterne konsulenter",
    "så snart kontrakten er underskrevet",
    "i efteråret",
    "til næste år",
]
CONNECTORS = [
    "Samtidig",
    "Derudover",
    "Ifølge kommunen",
    "Alligevel",
    "Til gengæld",
    "Dermed",
    "I praksis",
    "Desuden",
    "Ifølge aktindsigten",
    "Efter planen",
    "Indtil videre",
    "På den baggrund",
    "I mellemtiden",
    "Som udgangspunkt",
    "Ifølge leverandøren",
    "Derfor",
    "Omvendt",
    "I sidste ende",
    "Ikke desto mindre",
    "Hidtil",
]
NOUNS = [
    "løsning",
    "kontrakt",
    "leverandør",
    "aftale",
    "system",
    "platform",
    "borger",
    "medarbejder",
    "forvaltning",
    "kommune",
    "region",
    "udbud",
    "tilbud",
    "pris",
    "budget",
    "besparelse",
    "omkostning",
    "gevinst",
    "risiko",
    "sårbarhed",
    "angreb",
    "hændelse",
    "nedbrud",
    "opdatering",
    "version",
    "licens",
    "server",
    "netværk",
    "database",
    "integration",
    "snitflade",
    "data",
    "oplysning",
    "samtykke",
    "hjemmel",
    "lovgivning",
    "vejledning",
    "retningslinje",
    "krav",
    "specifikation",
    "tidsplan",
    "forsinkelse",
    "milepæl",
    "styregruppe",
    "projektleder",
    "konsulent",
    "rådgiver",
    "arkitektur",
    "infrastruktur",
    "sikkerhed",
    "beredskab",
    "test",
    "pilotprojekt",
    "udrulning",
    "drift",
    "support",
    "brugerflade",
    "selvbetjening",
    "ansøgning",
    "sagsbehandling",
    "afgørelse",
    "klage",
    "tilsyn",
    "kontrol",
    "revision",
    "rapport",
    "analyse",
    "undersøgelse",
    "evaluering",
    "strategi",
    "handleplan",
    "målsætning",
    "økonomi",
    "udgift",
    "merudgift",
    "millionbeløb",
    "bevilling",
    "pulje",
    "kompetence",
    "uddannelse",
    "rekruttering",
    "mangel",
    "udfordring",
    "mulighed",
    "fordel",
    "ulempe",
    "erfaring",
    "praksis",
    "kultur",
    "ledelse",
    "beslutning",
    "forhandling",
    "dialog",
    "samarbejde",
    "partnerskab",
    "fællesskab",
    "løft",
    "indsats",
    "ændring",
    "omlægning",
    "overgang",
    "skift",
    "migrering",
    "lukning",
    "nedlukning",
    "genopretning",
    "backup",
]
ADJECTIVES = [
    "ny",
    "gammel",
    "fælleskommunal",
    "digital",
    "offentlig",
    "kommunal",
    "regional",
    "statslig",
    "privat",
    "sikker",
    "usikker",
    "stabil",
    "ustabil",
    "dyr",
    "billig",
    "effektiv",
    "ineffektiv",
    "forsinket",
    "fremtidig",
    "nuværende",
    "tidligere",
    "kritisk",
    "alvorlig",
    "omfattende",
    "begrænset",
    "markant",
    "betydelig",
    "væsentlig",
    "tydelig",
    "uklar",
    "fleksibel",
    "moderne",
    "forældet",
    "robust",
    "sårbar",
    "åben",
    "lukket",
    "central",
    "decentral",
    "lokal",
    "national",
    "europæisk",
    "grøn",
    "bæredygtig",
    "brugervenlig",
    "besværlig",
    "automatisk",
    "manuel",
    "midlertidig",
    "permanent",
    "økonomisk",
    "juridisk",
    "teknisk",
    "organisatorisk",
    "praktisk",
    "politisk",
    "strategisk",
    "operationel",
    "nødvendig",
    "overflødig",
    "særlig",
]
VERBS = [
    "viser",
    "betyder",
    "kræver",
    "koster",
    "sparer",
    "giver",
    "tager",
    "får",
    "bliver",
    "gør",
    "siger",
    "mener",
    "vurderer",
    "forventer",
    "oplyser",
    "bekræfter",
    "afviser",
    "kritiserer",
    "anbefaler",
    "foreslår",
    "beslutter",
    "vælger",
    "køber",
    "sælger",
    "leverer",
    "udvikler",
    "tester",
    "drifter",
    "understøtter",
    "erstatter",
    "udskifter",
    "forbedrer",
    "forværrer",
    "øger",
    "mindsker",
    "reducerer",
    "sikrer",
    "beskytter",
    "overvåger",
    "registrerer",
    "behandler",
    "deler",
    "indsamler",
    "sletter",
    "gemmer",
    "arkiverer",
    "håndterer",
    "prioriterer",
    "udsætter",
    "fremskynder",
    "forlænger",
]
FILLER = [
    "og",
    "men",
    "eller",
    "for",
    "at",
    "der",
    "som",
    "det",
    "den",
    "de",
    "en",
    "et",
    "i",
    "på",
    "med",
    "til",
    "fra",
    "af",
    "om",
    "over",
    "under",
    "efter",
    "før",
    "mod",
    "hos",
    "ved",
    "uden",
    "også",
    "ikke",
    "kun",
    "allerede",
    "stadig",
    "endnu",
    "måske",
    "nok",
    "især",
    "først",
    "senere",
    "nu",
    "her",
    "der",
    "både",
    "hverken",
    "mere",
    "mindre",
    "meget",
    "lidt",
    "flere",
    "få",
    "alle",
    "nogle",
    "ingen",
    "hver",
    "sådan",
    "så",
    "når",
    "hvis",
    "fordi",
    "selvom",
    "mens",
    "hvor",
    "hvordan",
    "hvorfor",
    "næste",
    "sidste",
    "år",
    "måneder",
    "uger",
    "dage",
    "gang",
    "tid",
    "del",
    "sted",
    "måde",
    "grund",
]
FIRST_PERSON = [
    "Vi har brug for en løsning, der virker fra dag ét",
    "Det er ikke holdbart, at borgerne skal vente så længe",
    "Vi har lært meget af forløbet, og det tager vi med videre",
    "Jeg er overrasket over, hvor lidt leverandøren har leveret",
    "Vores medarbejdere har løbet stærkt i flere måneder",
    "Det handler i sidste ende om borgernes data",
    "Vi kunne ikke forsvare at fortsætte med den gamle løsning",
    "Der er ingen tvivl om, at sikkerheden skal styrkes",
    "Vi følger sagen tæt og er i dialog med Datatilsynet",
    "Det er en stor opgave, men vi er godt på vej",
    "Jeg forstår godt frustrationen ude i forvaltningerne",
    "Vi har valgt den løsning, der giver mest værdi for pengene",
    "Det var en fejl, og det beklager vi",
    "Vi skal være bedre til at stille krav til leverandørerne",
    "Ærligt talt havde vi ikke forudset omfanget",
    "Vores vurdering er, at risikoen er lav",
    "Det må aldrig ske igen",
    "Vi har ikke fået de svar, vi har bedt om",
    "Økonomien hænger ikke sammen, hvis vi fortsætter sådan",
    "Vi glæder os til at komme i gang",
]
LINK_TEXTS = [
    "rapporten",
    "aftalen",
    "pressemeddelelsen",
    "afgørelsen",
    "udbudsmaterialet",
    "vejledningen",
    "analysen",
    "strategien",
    "høringssvaret",
    "referatet",
    "her",
    "kommunens hjemmeside",
    "Datatilsynets udtalelse",
    "svaret fra ministeren",
]
LINK_HOSTS = [
    "https://www.kl.dk",
    "https://digst.dk",
    "https://www.datatilsynet.dk",
    "https://www.kombit.dk",
    "https://www.ft.dk",
    "https://www.example.dk",
    "https://www.retsinformation.dk",
    "https://www.udbud.dk",
    "https://www.rigsrevisionen.dk",
    "https://www.sikkerdigital.dk",
]
CODE_SNIPPETS = [
    (
        "yaml",
        "udbud:\n  kommune: {m}\n  leverandør: {v}\n  værdi_mio_kr: {n}\n  frist: 2024-03-01\n",
    ),
    (
        "powershell",
        'Get-ADUser -Filter * -SearchBase "OU=Brugere,DC={ms},DC=local" |\n  Where-Object {{ $_.Enabled -eq $false }} |\n  Measure-Object\n',
    ),
    (
        "sql",
        "SELECT forvaltning, COUNT(*) AS sager\nFROM esdh_sager\nWHERE oprettet >= '2023-01-01'\nGROUP BY forvaltning\nORDER BY sager DESC;\n",
    ),
    (
        "json",
        '{{\n  "kommune": "{m}",\n  "system": "{s}",\n  "status": "i drift",\n  "brugere": {n}00\n}}\n',
    ),
    (
        "bash",
        "# tjek certifikatets udløbsdato\nopenssl s_client -connect selvbetjening.{ms}.dk:443 </dev/null 2>/dev/null \\\n  | openssl x509 -noout -enddate\n",
    ),
    ("", "Fejl 0x80070005: Adgang nægtet\nKontakt servicedesken på lokalnummer 4{n}\n"),
]

AUTHOR_NAMES = [
    "Anne Kjærgaard",
    "Søren Østergaard",
    "Mette Bæk",
    "Lars Møller",
    "Hanne Lund",
    "Jørgen Dahl",
    "Birgitte Ågård",
    "Mads Holm",
    "Signe Nørgaard",
    "Rasmus Bruun",
    "Louise Skovgård",
    "Bjørn Frølich",
    "Karen Højer",
    "Thomas Andersen",
    "Ida Jæger",
    "Jens Løkke",
    "Pernille Winther",
    "Kasper Brøndum",
    "Maja Krogh",
    "Niels Mølgaard",
    "Lærke Thygesen",
    "Frederik Ravn",
    "Åse Sønderby",
    "Christian Vestergaard",
    "Camilla Fjord",
]

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

_TRANSLIT = str.maketrans(
    {
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "é": "e",
        "è": "e",
        "ü": "u",
        "ö": "oe",
        "ä": "ae",
        "&": " og ",
        "»": "",
        "«": "",
        '"': "",
        "'": "",
    }
)


def url_keys(title: str) -> set[str]:
    """The slugs a generator may make of `title`: ours, and one that drops the comma in
    "5,6" (python-slugify, kommunenyt), so that two titles never share a URL anywhere."""
    return {slugify(title), slugify(re.sub(r"(?<=\d),(?=\d)", "", title))}


def slugify(text: str, maxlen: int = 80) -> str:
    """Danish slug: lower case, æ->ae ø->oe å->aa, [a-z0-9-] only."""
    s = text.lower().translate(_TRANSLIT)
    out = []
    dash = False
    for ch in s:
        if ("a" <= ch <= "z") or ("0" <= ch <= "9"):
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    slug = "".join(out).strip("-")
    if len(slug) > maxlen:
        cut = slug.rfind("-", 0, maxlen)
        slug = slug[: cut if cut > 20 else maxlen].strip("-")
    return slug or "artikel"


_YAML_SPECIAL = set(":#&*!|>'\"%@`{}[]")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "ja", "nej"}


def yq(s: str) -> str:
    """YAML scalar: plain when safe, else single- or double-quoted."""
    if (
        s
        and s == s.strip()
        and not (_YAML_SPECIAL & set(s))
        and s[0] not in "-+.,?0123456789"
        and s.lower() not in _YAML_WORDS
    ):
        return s
    if '"' in s and "'" not in s:
        return "'" + s + "'"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def last_sunday(year: int, month: int) -> dt.date:
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


_DST_CACHE: dict[int, tuple[dt.date, dt.date]] = {}


def dk_offset(d: dt.date) -> str:
    """+02:00 during Danish summer time, else +01:00 (hours 06-22 only)."""
    rng = _DST_CACHE.get(d.year)
    if rng is None:
        rng = _DST_CACHE[d.year] = (last_sunday(d.year, 3), last_sunday(d.year, 10))
    return "+02:00" if rng[0] <= d < rng[1] else "+01:00"


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S") + dk_offset(t.date())


START = dt.datetime(2017, 1, 2, 0, 0, 0)
SPAN_DAYS = 8 * 365


# --------------------------------------------------------------------------
# Article generation
# --------------------------------------------------------------------------


class Gen:
    """Draws everything for one article from one RNG.

    pick/ri use rng.random() directly: ~3x faster than Random.choice/randint
    and just as deterministic.
    """

    def __init__(self, rng: random.Random):
        self.r = rng
        rnd = rng.random

        def pick(seq):
            return seq[int(rnd() * len(seq))]

        def ri(a, b):
            return a + int(rnd() * (b - a + 1))

        self.pick = pick
        self.ri = ri

    def person(self) -> str:
        _r, pick, _ri = self.r, self.pick, self.ri
        return f"{pick(FIRST)} {pick(LAST)}"

    def muni(self) -> str:
        return self.pick(MUNICIPALITIES)

    def number(self) -> str:
        r, _pick, ri = self.r, self.pick, self.ri
        if r.random() < 0.5:
            return str(ri(2, 95))
        return f"{ri(1, 49)},{ri(1, 9)}"

    # -- titles ---------------------------------------------------------
    def title(self) -> str:
        _r, pick, ri = self.r, self.pick, self.ri
        m, m2 = self.muni(), self.muni()
        v, v2 = pick(VENDORS), pick(VENDORS)
        s, t = pick(SYSTEMS), pick(TOPICS)
        n = self.number()
        q = pick(FIRST_PERSON)

        def r_adj():
            return pick(ADJECTIVES)

        def r_region():
            return pick(REGIONS)

        def r_org():
            return pick(ORGS)

        k = ri(0, 29)
        if k == 0:
            return f"{m} vælger {v} til nyt {s}"
        if k == 1:
            return f"{v} taber udbud om {s} i {m}"
        if k == 2:
            return f"Ransomware rammer {m} Kommune: {pick(SYSTEMS_DEF)} er nede"
        if k == 3:
            return f'"{q}": {m} dropper {s}'
        if k == 4:
            return f"Datatilsynet kritiserer {m} for {pick(NOUNS)}er om {t}"
        if k == 5:
            return f"{m} & {m2} går sammen om {s}"
        if k == 6:
            return f"Ny aftale: {v} skal drive {s} for {ri(2, 40)} kommuner"
        if k == 7:
            return f"»{q}«, siger {pick(ROLES)} om {t}"
        if k == 8:
            return f"Forsinkelse på {s} koster {m} {n} mio. kr."
        if k == 9:
            return f"Sådan sparer {m} {n} mio. kr. på {t}"
        if k == 10:
            return f"KL: Kommunerne mangler {ri(100, 4000)} it-specialister"
        if k == 11:
            return f"Q&A: Hvad betyder {t} for kommunerne?"
        if k == 12:
            return f"{v} opkøber {v2}"
        if k == 13:
            return f"Guide: Sådan kommer I i gang med {t}"
        if k == 14:
            return f"Analyse: {pick(ADJECTIVES).capitalize()} {s} presser økonomien i {m}"
        if k == 15:
            return f"{m} Kommune {pick(VERBS)} {pick(SYSTEMS_DEF)} efter kritik"
        if k == 16:
            return f"{pick(ORGS)} advarer om {t} i {pick(REGIONS)}"
        if k == 17:
            return f"Klagenævnet: {m} brød udbudsloven i sag om {s}"
        if k == 18:
            return f"Borgere i {m} kan nu bruge {t} – men ikke alle er glade"
        if k == 19:
            return f"{r_adj().capitalize()} {s} til {m}: {v} vinder {n} mio. kr. kontrakt"
        if k == 20:
            return f"{m} forlænger aftalen med {v} om {s}"
        if k == 21:
            return f"{v} skal levere {t} til {r_region()}"
        if k == 22:
            return f"It-chef i {m} stopper efter {ri(2, 19)} år"
        if k == 23:
            return f"{m} sparer {n} mio. kr. ved at droppe {s}"
        if k == 24:
            return f"Nedbrud i {s} lammer borgerservice i {m}"
        if k == 25:
            return f"{m} Kommune vil bruge {t} i sagsbehandlingen"
        if k == 26:
            return f"Regning for {t} vokser med {n} mio. kr. i {m}"
        if k == 27:
            return f"{r_org()} vil have styr på {t} i kommunerne"
        if k == 28:
            return f"{v} og {m} i strid om {s} til {n} mio. kr."
        return f"{m2} følger {m} og skifter {s} ud"

    # -- prose ----------------------------------------------------------
    def sentence(self) -> tuple[str, int]:
        r, pick, ri = self.r, self.pick, self.ri
        k = ri(0, 8 - 1)
        if k < 3:
            parts = [
                pick(SUBJECTS),
                pick(MODALS),
                pick(INFINITIVES),
                pick(SYSTEMS_DEF),
                pick(ADVERBIALS),
            ]
            if r.random() < 0.3:
                parts.insert(0, pick(CONNECTORS) + " " + parts.pop(0).lower())
            s = " ".join(parts)
        elif k < 5:
            ws = r.choices(FILLER, k=ri(3, 7))
            s = (
                f"{pick(CONNECTORS)} {pick(VERBS)} {pick(ADJECTIVES)} "
                f"{pick(NOUNS)} {' '.join(ws)} {pick(NOUNS)}"
            )
        elif k == 5:
            s = (
                f"Ifølge {pick(ORGS)} {pick(VERBS)} den {pick(ADJECTIVES)}e "
                f"{pick(NOUNS)}, at {self.muni()} Kommune {pick(MODALS)} "
                f"{pick(INFINITIVES)} {pick(SYSTEMS_DEF)}"
            )
        elif k == 6:
            s = (
                f"Det {pick(VERBS)} {pick(FILLER)} {self.number()} mio. kr., "
                f"og {pick(SUBJECTS).lower()} {pick(MODALS)} "
                f"{pick(INFINITIVES)} {pick(NOUNS)}en {pick(ADVERBIALS)}"
            )
        else:
            ws = r.choices(NOUNS + ADJECTIVES + FILLER + VERBS, k=ri(6, 14))
            s = pick(SUBJECTS) + " " + " ".join(ws)
        if r.random() < 0.06:
            # emphasis on one word
            words = s.split(" ")
            i = ri(1, len(words) - 1)
            mark = "**" if r.random() < 0.4 else "*"
            words[i] = f"{mark}{words[i]}{mark}"
            s = " ".join(words)
        elif r.random() < 0.04:
            url = f"{pick(LINK_HOSTS)}/{slugify(pick(TOPICS))}/{ri(1000, 99999)}"
            s += f" (se [{pick(LINK_TEXTS)}]({url}))"
        s = s[0].upper() + s[1:]
        end = "?" if r.random() < 0.03 else "."
        return s + end, s.count(" ") + 1

    def paragraph(self) -> tuple[str, int]:
        sents, words = [], 0
        for _ in range(self.ri(2, 5)):
            s, w = self.sentence()
            sents.append(s)
            words += w
        return " ".join(sents), words

    def quote(self) -> tuple[str, int]:
        r, pick, _ri = self.r, self.pick, self.ri
        q = pick(FIRST_PERSON)
        if r.random() < 0.5:
            q += ". " + pick(FIRST_PERSON)
        who = f"{self.person()}, {pick(ROLES)} i {self.muni()} Kommune"
        text = f"> - {q}, siger {who}."
        return text, text.count(" ")

    def bullets(self) -> tuple[str, int]:
        _r, pick, ri = self.r, self.pick, self.ri
        items = []
        for _ in range(ri(3, 6)):
            items.append(
                f"- {pick(INFINITIVES).capitalize()} {pick(SYSTEMS_DEF)} {pick(ADVERBIALS)}"
            )
        intro = f"{pick(CONNECTORS)} omfatter planen blandt andet:"
        text = intro + "\n\n" + "\n".join(items)
        return text, text.count(" ")

    def table(self) -> tuple[str, int]:
        _r, pick, ri = self.r, self.pick, self.ri
        rows = ["| Kommune | Leverandør | Beløb (mio. kr.) |", "|---|---|---:|"]
        for _ in range(ri(3, 6)):
            rows.append(f"| {self.muni()} | {pick(VENDORS)} | {self.number()} |")
        text = "\n".join(rows)
        return text, len(rows) * 3

    def code(self) -> tuple[str, int]:
        _r, pick, ri = self.r, self.pick, self.ri
        lang, tpl = pick(CODE_SNIPPETS)
        m = self.muni()
        body = tpl.format(m=m, ms=slugify(m), v=pick(VENDORS), s=pick(SYSTEMS), n=ri(10, 99))
        intro = "Konfigurationen ser i forenklet form sådan ud:"
        text = f"{intro}\n\n```{lang}\n{body}```"
        return text, text.count(" ") + 8

    def heading(self) -> str:
        _r, pick, ri = self.r, self.pick, self.ri
        k = ri(0, 6 - 1)
        if k == 0:
            return f"{pick(ADJECTIVES).capitalize()} {pick(NOUNS)}"
        if k == 1:
            return f"Kritik af {pick(SYSTEMS_DEF)}"
        if k == 2:
            return "Hvad sker der nu?"
        if k == 3:
            return f"{pick(VENDORS)} afviser kritikken"
        if k == 4:
            return f"Millioner på spil i {self.muni()}"
        return f"Sådan gør {self.muni()}"

    def body(self) -> tuple[str, int]:
        r, _pick, ri = self.r, self.pick, self.ri
        target = ri(400, 1200)
        n_head = ri(1, 3)
        has_list = r.random() < 0.3
        extra = r.random()
        has_table = extra < 0.05
        has_code = 0.05 <= extra < 0.10
        blocks: list[str] = []
        words = 0
        # chunk word budgets: intro + one chunk per heading
        chunk = target // (n_head + 1)
        specials = []
        if has_list:
            specials.append(self.bullets)
        if has_table:
            specials.append(self.table)
        if has_code:
            specials.append(self.code)
        for c in range(n_head + 1):
            if c > 0:
                blocks.append("## " + self.heading())
            goal = chunk * (c + 1) if c < n_head else target
            first = True
            while words < goal or first:
                first = False
                x = r.random()
                if x < 0.14 and blocks and not blocks[-1].startswith(">"):
                    t, w = self.quote()
                elif x < 0.20 and specials:
                    t, w = specials.pop()()
                else:
                    t, w = self.paragraph()
                blocks.append(t)
                words += w
        for sp in specials:  # anything not placed yet goes last
            t, w = sp()
            blocks.append(t)
            words += w
        return "\n\n".join(blocks) + "\n", words

    def lead(self) -> str:
        _r, _pick, _ri = self.r, self.pick, self.ri
        s, _ = self.sentence()
        # keep leads free of markdown
        return s.replace("**", "").replace("*", "").split(" (se [")[0].rstrip(".?") + "."


def make_article(seed: int, i: int) -> dict:
    rng = random.Random(seed * 1_000_003 + i)
    g = Gen(rng)
    when = START + dt.timedelta(
        days=rng.randrange(SPAN_DAYS), hours=rng.randint(6, 21), minutes=rng.randrange(60)
    )
    a = {
        "title": g.title(),
        "date": when,
        "lead": g.lead(),
        "section": rng.choices(SECTIONS, weights=SECTION_WEIGHTS)[0],
        "tags": [],
        "authors": [],
        "custom_slug": rng.random() < 0.05,
        "updated": None,
        "draft": rng.random() < 0.01,
    }
    ntags = rng.choices([1, 2, 3, 4, 5], weights=[15, 25, 30, 20, 10])[0]
    tags = [g.muni()] if rng.random() < 0.7 else []
    while len(tags) < ntags:
        t = rng.choice(TAG_POOL)
        if t not in tags:
            tags.append(t)
    a["tags"] = tags
    authors = [rng.choice(AUTHOR_NAMES)]
    if rng.random() < 0.3:
        b = rng.choice(AUTHOR_NAMES)
        if b != authors[0]:
            authors.append(b)
    a["authors"] = authors
    if rng.random() < 0.10:
        upd = when + dt.timedelta(hours=rng.randint(1, 24 * 30))
        if upd.hour < 6 or upd.hour > 22:
            upd = upd.replace(hour=rng.randint(6, 22))
            if upd <= when:
                upd += dt.timedelta(days=1)
        a["updated"] = upd
    a["body"], a["words"] = g.body()
    a["_alt_slug"] = slugify(" ".join(a["title"].split()[:4])) + f"-{when:%Y%m%d}"
    return a


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def yaml_list(key: str, items: list[str]) -> str:
    return key + ":\n" + "".join(f"  - {yq(x)}\n" for x in items)


def render_native(a: dict) -> str:
    out = ["---\n", f"title: {yq(a['title'])}\n", f"date: {iso(a['date'])}\n"]
    if a["updated"] is not None:
        out.append(f"updated: {iso(a['updated'])}\n")
    out.append(f"lead: {yq(a['lead'])}\n")
    out.append(f"section: {yq(a['section'])}\n")
    out.append(yaml_list("tags", a["tags"]))
    out.append(yaml_list("authors", a["authors"]))
    if a["custom_slug"]:
        out.append(f"slug: {a['slug']}\n")
    if a["draft"]:
        out.append("draft: true\n")
    out.append("---\n\n")
    out.append(a["body"])
    return "".join(out)


def render_pelican(a: dict) -> str:
    out = [f"Title: {a['title']}\n", f"Date: {iso(a['date'])}\n"]
    if a["updated"] is not None:
        out.append(f"Modified: {iso(a['updated'])}\n")
    out.append(f"Category: {a['section']}\n")
    out.append(f"Tags: {', '.join(a['tags'])}\n")
    out.append(f"Authors: {', '.join(a['authors'])}\n")
    out.append(f"Summary: {a['lead']}\n")
    out.append(f"Slug: {a['slug']}\n")
    if a["draft"]:
        out.append("Status: draft\n")
    out.append("\n")
    out.append(a["body"])
    return "".join(out)


def render_hugo(a: dict) -> str:
    out = ["---\n", f"title: {yq(a['title'])}\n", f"date: {iso(a['date'])}\n"]
    if a["updated"] is not None:
        out.append(f"lastmod: {iso(a['updated'])}\n")
    out.append(f"summary: {yq(a['lead'])}\n")
    out.append(yaml_list("categories", [a["section"]]))
    out.append(yaml_list("tags", a["tags"]))
    out.append(yaml_list("authors", a["authors"]))
    out.append(f"slug: {a['slug']}\n")
    out.append(f"draft: {'true' if a['draft'] else 'false'}\n")
    out.append("---\n\n")
    out.append(a["body"])
    return "".join(out)


FORMATS = {
    "native": (("articles",), render_native),
    "pelican": (("content",), render_pelican),
    "hugo": (("content", "posts"), render_hugo),
}


def authors_yaml() -> str:
    out = []
    for name in AUTHOR_NAMES:
        first, last = name.split(" ", 1)
        initials = (first[:2] + last[:1]).upper()
        email = slugify(first) + "." + slugify(last) + "@example.dk"
        out.append(f"{yq(name)}:\n  email: {email}\n  initials: {initials}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, required=True, help="number of articles")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--format", choices=sorted(FORMATS), default="native")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--force", action="store_true", help="delete an existing content tree under --out first"
    )
    args = p.parse_args(argv)
    t0 = time.perf_counter()

    sub, render = FORMATS[args.format]
    root = os.path.join(args.out, *sub)
    top = os.path.join(args.out, sub[0])
    if os.path.exists(top) and os.listdir(top):
        if not args.force:
            print(f"error: {top} exists and is not empty (use --force)", file=sys.stderr)
            return 2
        shutil.rmtree(top)
    os.makedirs(root, exist_ok=True)

    used: set[str] = set()
    made_dirs: set[str] = set()
    total_words = drafts = 0
    for i in range(args.n):
        a = make_article(args.seed, i)
        # Titles come from templates, so some repeat.  Re-draw a repeated title
        # from a side RNG (still deterministic: depends on seed, i and order).
        tries = 0
        while url_keys(a["title"]) & used and tries < 50:
            tries += 1
            a["title"] = Gen(random.Random(f"{args.seed}:{i}:{tries}")).title()
        title_slug = slugify(a["title"])
        base = a["_alt_slug"] if a["custom_slug"] else title_slug
        slug = base
        k = 2
        while slug in used:
            slug = f"{base}-{k}"
            k += 1
        if slug != title_slug:
            a["custom_slug"] = True  # native must then carry it explicitly
        used.add(slug)
        used.update(url_keys(a["title"]))
        a["slug"] = slug
        total_words += a["words"]
        drafts += a["draft"]
        ydir = os.path.join(root, f"{a['date'].year:04d}")
        if ydir not in made_dirs:
            os.makedirs(ydir, exist_ok=True)
            made_dirs.add(ydir)
        with open(os.path.join(ydir, slug + ".md"), "w", encoding="utf-8", newline="\n") as f:
            f.write(render(a))

    with open(os.path.join(args.out, "authors.yaml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(authors_yaml())
    dt_s = time.perf_counter() - t0
    print(
        f"wrote {args.n} articles ({args.format}) to {root}: ~{total_words} words, "
        f"{drafts} drafts, {len(TAG_POOL)} tags in pool, {dt_s:.2f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
