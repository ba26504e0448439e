"""The demo talent pool: realistic, reproducible, entirely synthetic profiles.

`generate(seed, start, count)` yields profiles in the import format
(ENGINE.md §1), so the demo goes through exactly the same validation,
normalisation and indexing as real data. Profile *i* of seed *s* depends only on
(s, i): any slice can be generated independently (worker processes each make
their own ranges) and the pool is the same however it is split.

What it models:

* ~50 occupations in 16 groups (software, data, IT, healthcare, sales, finance,
  operations, HR, marketing, design, legal, education, hospitality, trades,
  engineering, science, admin), each tied to a title family of the lexicons
  (O*NET-SOC code), with title variants, a career ladder and core skills
  written with their everyday surface forms ("k8s", "Postgres", "Epic EHR").
* Careers: a level 0-7 and total years that fit it; positions back in time with
  dates, gaps and promotions (levels rise over the career); some people changed
  career from another occupation of the same group.
* Places: world cities from the gazetteer data, sampled by population with a
  per-country weight (the markets a sourcing tool is typically used in are
  weighted up, so a demo search for "Berlin" or "Austin" finds people).
* Companies per group with a domain and one fixed email pattern each
  (`first.last`, `flast`, …); ~20 % of people carry their current work email,
  which is what enrichment learns the patterns from.
* Links: LinkedIn for most, GitHub for most software/data people, a personal
  site for some.

Everything is made up. Names are built from small first/last-name lists written
for this module (several cultures, combined at random, so no real person is
described). Company domains use the reserved ``.example`` top-level domain
(RFC 2606), so nothing generated here can ever reach a real mail server.
"""

from __future__ import annotations

import bisect
import gzip
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

import orjson

from talentscout.index.normalize import this_month

__all__ = ["OCCUPATIONS", "Occupation", "generate", "generate_one"]


@dataclass(frozen=True, slots=True)
class Occupation:
    key: str
    group: str
    family: str  # title family id (O*NET-SOC code)
    titles: tuple[str, ...]  # base titles (no seniority marker)
    skills: tuple[str, ...]  # core skills as people write them
    weight: float = 1.0
    lead_title: str | None = None  # the manager-track title at levels 6-7
    degree_areas: tuple[str, ...] = ()


_SW = ("Computer Science", "Software Engineering", "Computer Engineering", "Mathematics")
_BIZ = ("Business Administration", "Economics", "Finance", "Management")
_HEALTH = ("Nursing", "Health Sciences", "Biology")

OCCUPATIONS: tuple[Occupation, ...] = (
    # software
    Occupation("backend", "software", "15-1252.00", ("Backend Engineer", "Software Engineer", "Backend Developer", "Python Developer", "Java Developer", "Go Developer"),
               ("Python", "Django", "FastAPI", "Java", "Spring Boot", "Go", "PostgreSQL", "Postgres", "MySQL", "Redis", "Kafka", "Docker", "Kubernetes", "k8s", "AWS", "GCP", "REST APIs", "gRPC", "Microservices", "CI/CD", "Terraform", "Linux", "Git", "SQL", "Node.js", "TypeScript", "Rust", "Scala"),
               3.0, "Engineering Manager", _SW),
    Occupation("frontend", "software", "15-1254.00", ("Frontend Engineer", "Frontend Developer", "Web Developer", "React Developer", "UI Engineer"),
               ("JavaScript", "TypeScript", "React", "Redux", "Vue.js", "Angular", "HTML", "CSS", "Sass", "Next.js", "Webpack", "Jest", "Cypress", "GraphQL", "Figma", "Accessibility", "Node.js", "Tailwind CSS"),
               1.8, "Engineering Manager", _SW),
    Occupation("fullstack", "software", "15-1252.00", ("Full Stack Developer", "Full Stack Engineer", "Software Developer"),
               ("JavaScript", "TypeScript", "React", "Node.js", "Python", "Django", "Ruby on Rails", "PostgreSQL", "MongoDB", "Docker", "AWS", "GraphQL", "REST APIs", "Git", "HTML", "CSS"),
               1.5, "Engineering Manager", _SW),
    Occupation("mobile", "software", "15-1252.00", ("iOS Developer", "Android Developer", "Mobile Developer", "Mobile Engineer"),
               ("Swift", "SwiftUI", "Objective-C", "Kotlin", "Java", "Android SDK", "Jetpack Compose", "React Native", "Flutter", "Dart", "Firebase", "Xcode", "REST APIs", "CI/CD"),
               0.8, "Engineering Manager", _SW),
    Occupation("devops", "software", "15-1252.00", ("DevOps Engineer", "Site Reliability Engineer", "Platform Engineer", "SRE"),
               ("Kubernetes", "k8s", "Docker", "Terraform", "Ansible", "AWS", "Azure", "GCP", "Prometheus", "Grafana", "Linux", "Bash", "Python", "Go", "Helm", "Jenkins", "GitHub Actions", "CI/CD", "ArgoCD"),
               1.2, "Head of Platform", _SW),
    Occupation("qa", "software", "15-1253.00", ("QA Engineer", "Software Tester", "Test Automation Engineer", "Quality Assurance Analyst"),
               ("Selenium", "Cypress", "Playwright", "Test automation", "JIRA", "Python", "Java", "Postman", "API testing", "Regression testing", "TestRail", "SQL", "Agile"),
               0.7, "QA Manager", _SW),
    Occupation("security", "it", "15-1212.00", ("Security Engineer", "Information Security Analyst", "Cybersecurity Analyst", "SOC Analyst"),
               ("SIEM", "Splunk", "Penetration testing", "Network security", "Incident response", "ISO 27001", "Vulnerability management", "Python", "AWS", "Firewalls", "IAM", "OWASP"),
               0.7, "Head of Security", _SW),
    Occupation("sysadmin", "it", "15-1244.00", ("Systems Administrator", "Network Administrator", "IT Administrator", "Network Engineer"),
               ("Linux", "Windows Server", "Active Directory", "VMware", "Cisco", "TCP/IP", "DNS", "PowerShell", "Bash", "Microsoft 365", "Azure", "Backup and recovery"),
               0.8, "IT Manager", ("Information Technology", "Computer Science")),
    Occupation("support", "it", "15-1232.00", ("IT Support Specialist", "Help Desk Technician", "Technical Support Engineer"),
               ("Troubleshooting", "Windows", "macOS", "Active Directory", "Microsoft 365", "ServiceNow", "Zendesk", "Hardware repair", "Customer service", "ITIL"),
               0.8, "IT Support Manager", ("Information Technology",)),
    # data
    Occupation("data_scientist", "data", "15-2051.00", ("Data Scientist", "Machine Learning Engineer", "ML Engineer", "Applied Scientist"),
               ("Python", "pandas", "NumPy", "scikit-learn", "PyTorch", "TensorFlow", "Machine learning", "ML", "Deep learning", "SQL", "Statistics", "NLP", "Spark", "Jupyter", "A/B testing", "MLOps", "R"),
               1.4, "Head of Data Science", ("Statistics", "Mathematics", "Computer Science", "Physics")),
    Occupation("data_engineer", "data", "15-1243.00", ("Data Engineer", "Analytics Engineer", "Big Data Engineer"),
               ("Python", "SQL", "Spark", "Apache Airflow", "Kafka", "dbt", "Snowflake", "BigQuery", "Redshift", "AWS", "ETL", "Data modeling", "Scala", "PostgreSQL", "Databricks"),
               1.1, "Head of Data Engineering", _SW),
    Occupation("data_analyst", "data", "15-2041.00", ("Data Analyst", "Business Intelligence Analyst", "BI Analyst", "Reporting Analyst"),
               ("SQL", "Excel", "Tableau", "Power BI", "Python", "R", "Looker", "Statistics", "Data visualization", "Google Analytics", "Dashboards"),
               1.2, "Analytics Manager", ("Statistics", "Economics", "Mathematics")),
    # healthcare
    Occupation("rn", "healthcare", "29-1141.00", ("Registered Nurse", "Staff Nurse", "ICU Nurse", "ER Nurse", "Pediatric Nurse"),
               ("Patient care", "Epic", "Epic EHR", "Electronic health records", "BLS", "ACLS", "Medication administration", "Wound care", "IV therapy", "Patient assessment", "Triage", "Care planning"),
               2.2, "Nurse Manager", _HEALTH),
    Occupation("lpn", "healthcare", "29-2061.00", ("Licensed Practical Nurse", "LPN", "Licensed Vocational Nurse"),
               ("Patient care", "Vital signs", "Medication administration", "Wound care", "BLS", "Electronic health records", "Phlebotomy"),
               0.8, "Charge Nurse", _HEALTH),
    Occupation("np", "healthcare", "29-1171.00", ("Nurse Practitioner", "Family Nurse Practitioner"),
               ("Patient assessment", "Diagnosis", "Prescribing", "Epic", "Primary care", "Chronic disease management", "Electronic health records"),
               0.5, "Director of Nursing", _HEALTH),
    Occupation("pharmacist", "healthcare", "29-1051.00", ("Pharmacist", "Clinical Pharmacist"),
               ("Pharmacology", "Medication therapy management", "Drug interactions", "Compounding", "Pharmacy informatics", "Patient counseling"),
               0.5, "Pharmacy Manager", ("Pharmacy",)),
    Occupation("physio", "healthcare", "29-1123.00", ("Physical Therapist", "Physiotherapist"),
               ("Rehabilitation", "Manual therapy", "Exercise prescription", "Patient assessment", "Orthopedics", "Sports medicine"),
               0.5, "Rehabilitation Manager", ("Physiotherapy",)),
    Occupation("medical_assistant", "healthcare", "31-9092.00", ("Medical Assistant", "Clinical Assistant"),
               ("Vital signs", "Phlebotomy", "Scheduling", "Electronic health records", "Medical terminology", "Patient intake"),
               0.7, "Clinic Manager", _HEALTH),
    # sales
    Occupation("account_exec", "sales", "41-3091.00", ("Account Executive", "Sales Representative", "Business Development Representative", "Account Manager"),
               ("Salesforce", "HubSpot", "B2B sales", "SaaS sales", "Cold calling", "Negotiation", "Lead generation", "CRM", "Pipeline management", "Closing", "Prospecting"),
               1.6, "Sales Director", _BIZ),
    Occupation("sales_engineer", "sales", "41-9031.00", ("Sales Engineer", "Solutions Engineer", "Pre-Sales Consultant"),
               ("Technical presentations", "Solution design", "Salesforce", "APIs", "Cloud computing", "Product demos", "RFP responses"),
               0.5, "Head of Solutions Engineering", ("Engineering", "Computer Science")),
    Occupation("retail", "sales", "41-2031.00", ("Retail Sales Associate", "Sales Associate", "Store Associate"),
               ("Customer service", "Point of sale", "Merchandising", "Cash handling", "Inventory management", "Upselling"),
               1.0, "Store Manager", ()),
    # finance
    Occupation("accountant", "finance", "13-2011.00", ("Accountant", "Staff Accountant", "Auditor", "Tax Accountant"),
               ("GAAP", "IFRS", "Excel", "QuickBooks", "SAP", "Financial reporting", "Reconciliation", "Auditing", "Tax preparation", "NetSuite", "Accounts payable", "Accounts receivable"),
               1.3, "Finance Manager", ("Accounting", "Finance")),
    Occupation("fin_analyst", "finance", "13-2051.00", ("Financial Analyst", "FP&A Analyst", "Investment Analyst"),
               ("Financial modeling", "Excel", "Forecasting", "Budgeting", "Valuation", "SQL", "Power BI", "Bloomberg", "Variance analysis"),
               1.0, "FP&A Manager", ("Finance", "Economics")),
    Occupation("bookkeeper", "finance", "43-3031.00", ("Bookkeeper", "Accounting Clerk", "Accounts Payable Specialist"),
               ("QuickBooks", "Xero", "Excel", "Accounts payable", "Payroll", "Reconciliation", "Invoicing"),
               0.8, "Accounting Manager", ("Accounting",)),
    Occupation("loan_officer", "finance", "13-2072.00", ("Loan Officer", "Mortgage Loan Officer", "Credit Analyst"),
               ("Underwriting", "Credit analysis", "Mortgage lending", "Risk assessment", "Customer service", "Compliance"),
               0.5, "Lending Manager", _BIZ),
    # operations
    Occupation("ops_manager", "operations", "11-1021.00", ("Operations Manager", "Operations Coordinator", "Operations Specialist"),
               ("Process improvement", "Lean", "Six Sigma", "Budgeting", "Vendor management", "KPI reporting", "Team leadership", "ERP"),
               1.0, "Director of Operations", _BIZ),
    Occupation("project_manager", "operations", "13-1082.00", ("Project Manager", "Program Manager", "Project Coordinator"),
               ("Project management", "Agile", "Scrum", "JIRA", "PMP", "Stakeholder management", "Risk management", "MS Project", "Budgeting"),
               1.1, "Director of Program Management", _BIZ),
    Occupation("logistics", "operations", "13-1081.00", ("Logistics Coordinator", "Supply Chain Analyst", "Logistician", "Warehouse Supervisor"),
               ("Supply chain management", "Inventory management", "SAP", "Warehouse management systems", "Forecasting", "Procurement", "Excel", "Freight"),
               0.9, "Supply Chain Manager", _BIZ),
    Occupation("truck_driver", "operations", "53-3032.00", ("Truck Driver", "CDL Driver", "Delivery Driver"),
               ("CDL Class A", "DOT regulations", "Route planning", "Vehicle inspection", "Logbooks", "Safe driving"),
               0.7, "Fleet Manager", ()),
    # HR
    Occupation("recruiter", "hr", "13-1071.00", ("Recruiter", "Technical Recruiter", "Talent Acquisition Specialist", "HR Specialist"),
               ("Recruitment", "Sourcing", "Interviewing", "Applicant tracking systems", "Greenhouse", "Workday", "Onboarding", "Employer branding", "LinkedIn Recruiter"),
               0.9, "Head of Talent Acquisition", ("Human Resources", "Psychology")),
    Occupation("hr_generalist", "hr", "13-1071.00", ("HR Generalist", "HR Business Partner", "People Operations Specialist"),
               ("Employee relations", "HRIS", "Workday", "Payroll", "Labor law", "Performance management", "Compensation and benefits", "Onboarding"),
               0.7, "HR Manager", ("Human Resources", "Business Administration")),
    # marketing
    Occupation("marketing", "marketing", "13-1161.00", ("Marketing Specialist", "Digital Marketing Manager", "Growth Marketer", "Content Marketer"),
               ("SEO", "SEM", "Google Ads", "Google Analytics", "HubSpot", "Content marketing", "Email marketing", "Social media marketing", "Copywriting", "A/B testing", "Marketing automation"),
               1.2, "Head of Marketing", ("Marketing", "Communications")),
    Occupation("pr", "marketing", "27-3031.00", ("Public Relations Specialist", "Communications Manager", "Communications Specialist"),
               ("Press releases", "Media relations", "Crisis communications", "Copywriting", "Social media", "Event planning"),
               0.4, "Director of Communications", ("Communications", "Journalism")),
    # design
    Occupation("product_designer", "design", "15-1255.00", ("Product Designer", "UX Designer", "UI/UX Designer", "UX Researcher"),
               ("Figma", "Sketch", "User research", "Prototyping", "Wireframing", "Design systems", "Usability testing", "Adobe XD", "Interaction design"),
               0.9, "Head of Design", ("Design", "Human-Computer Interaction")),
    Occupation("graphic_designer", "design", "27-1024.00", ("Graphic Designer", "Visual Designer", "Brand Designer"),
               ("Adobe Photoshop", "Adobe Illustrator", "InDesign", "Typography", "Branding", "Layout", "Adobe Creative Suite", "Print design"),
               0.8, "Creative Director", ("Graphic Design", "Fine Arts")),
    # legal
    Occupation("lawyer", "legal", "23-1011.00", ("Attorney", "Lawyer", "Corporate Counsel", "Associate Attorney"),
               ("Contract negotiation", "Legal research", "Litigation", "Corporate law", "Compliance", "Due diligence", "Legal writing", "Mergers and acquisitions"),
               0.5, "General Counsel", ("Law",)),
    Occupation("paralegal", "legal", "23-2011.00", ("Paralegal", "Legal Assistant"),
               ("Legal research", "Document management", "E-discovery", "Case management", "Drafting", "Westlaw"),
               0.4, "Paralegal Manager", ("Paralegal Studies", "Law")),
    # education
    Occupation("teacher", "education", "25-2031.00", ("High School Teacher", "Math Teacher", "Science Teacher", "English Teacher"),
               ("Lesson planning", "Classroom management", "Curriculum development", "Differentiated instruction", "Google Classroom", "Student assessment"),
               1.0, "Head of Department", ("Education", "Mathematics", "English")),
    Occupation("elementary_teacher", "education", "25-2021.00", ("Elementary School Teacher", "Primary School Teacher"),
               ("Lesson planning", "Classroom management", "Early literacy", "Parent communication", "Student assessment"),
               0.7, "School Principal", ("Education",)),
    # hospitality
    Occupation("chef", "hospitality", "35-1011.00", ("Chef", "Sous Chef", "Line Cook", "Head Chef"),
               ("Menu planning", "Food safety", "HACCP", "Food preparation", "Kitchen management", "Inventory management", "Cost control"),
               0.8, "Executive Chef", ("Culinary Arts",)),
    Occupation("restaurant_manager", "hospitality", "11-9051.00", ("Restaurant Manager", "Food Service Manager", "Front of House Manager"),
               ("Staff scheduling", "Customer service", "Food safety", "Cost control", "P&L management", "POS systems"),
               0.5, "General Manager", ("Hospitality Management",)),
    # trades
    Occupation("electrician", "trades", "47-2111.00", ("Electrician", "Journeyman Electrician", "Industrial Electrician"),
               ("Electrical wiring", "NEC", "Blueprint reading", "Troubleshooting", "Conduit bending", "PLC", "Safety compliance"),
               0.8, "Electrical Supervisor", ()),
    Occupation("plumber", "trades", "47-2152.00", ("Plumber", "Pipefitter", "Journeyman Plumber"),
               ("Pipe fitting", "Blueprint reading", "Plumbing codes", "Soldering", "Drain cleaning", "Water heaters"),
               0.5, "Plumbing Supervisor", ()),
    Occupation("hvac", "trades", "49-9021.00", ("HVAC Technician", "HVAC Installer", "Refrigeration Technician"),
               ("HVAC", "Refrigeration", "EPA 608", "Troubleshooting", "Preventive maintenance", "Ductwork"),
               0.5, "Service Manager", ()),
    Occupation("mechanic", "trades", "49-3023.00", ("Automotive Technician", "Auto Mechanic", "Diesel Mechanic"),
               ("Engine diagnostics", "Brake repair", "ASE certification", "Preventive maintenance", "Electrical systems"),
               0.6, "Service Manager", ()),
    Occupation("welder", "trades", "51-4121.00", ("Welder", "Fabricator", "Welder Fabricator"),
               ("MIG welding", "TIG welding", "Blueprint reading", "Metal fabrication", "Stick welding"),
               0.4, "Welding Supervisor", ()),
    # engineering
    Occupation("mech_engineer", "engineering", "17-2141.00", ("Mechanical Engineer", "Design Engineer", "Product Engineer"),
               ("SolidWorks", "AutoCAD", "CAD", "FEA", "ANSYS", "GD&T", "Product design", "MATLAB", "Prototyping"),
               0.8, "Engineering Manager", ("Mechanical Engineering",)),
    Occupation("civil_engineer", "engineering", "17-2051.00", ("Civil Engineer", "Structural Engineer", "Site Engineer"),
               ("AutoCAD", "Civil 3D", "Structural analysis", "Project management", "Revit", "Construction management", "Surveying"),
               0.6, "Engineering Manager", ("Civil Engineering",)),
    Occupation("electrical_engineer", "engineering", "17-2071.00", ("Electrical Engineer", "Hardware Engineer", "Controls Engineer"),
               ("Circuit design", "PCB design", "MATLAB", "PLC", "Altium", "Embedded systems", "Power systems", "C"),
               0.5, "Engineering Manager", ("Electrical Engineering",)),
    # science
    Occupation("chemist", "science", "19-2031.00", ("Chemist", "Analytical Chemist", "Research Chemist"),
               ("HPLC", "GC-MS", "Analytical chemistry", "Laboratory safety", "Method development", "GLP", "Spectroscopy"),
               0.4, "Laboratory Manager", ("Chemistry",)),
    Occupation("lab_tech", "science", "19-4021.00", ("Laboratory Technician", "Research Assistant", "Lab Technician"),
               ("PCR", "Cell culture", "Laboratory techniques", "Data analysis", "GLP", "Microscopy"),
               0.5, "Laboratory Manager", ("Biology", "Biochemistry")),
    # admin
    Occupation("admin_assistant", "admin", "43-6014.00", ("Administrative Assistant", "Office Administrator", "Office Manager", "Receptionist"),
               ("Microsoft Office", "Scheduling", "Data entry", "Customer service", "Bookkeeping", "Google Workspace", "Filing"),
               1.0, "Office Manager", ()),
    Occupation("customer_service", "admin", "43-4051.00", ("Customer Service Representative", "Customer Support Specialist", "Call Center Agent"),
               ("Customer service", "Zendesk", "CRM", "Problem solving", "Salesforce", "Conflict resolution", "Data entry"),
               1.1, "Customer Service Manager", ()),
)

# Ladders: the seniority words a title carries at each level (0 intern … 7 executive).
_PREFIX = {0: ("Intern",), 1: ("Junior", "Associate", ""), 2: ("",), 3: ("Senior", "Sr."), 4: ("Lead", "Staff"), 5: ("Principal",)}
_TRADE_GROUPS = frozenset({"trades", "hospitality", "operations", "admin", "healthcare", "education"})

# Level distribution of the pool and the years each level takes.
_LEVELS = (0, 1, 2, 3, 4, 5, 6, 7)
_LEVEL_WEIGHTS = (0.03, 0.17, 0.27, 0.26, 0.1, 0.04, 0.09, 0.04)
_YEARS = {0: (0.0, 1.0), 1: (0.5, 3.0), 2: (2.0, 6.0), 3: (5.0, 12.0), 4: (7.0, 16.0), 5: (10.0, 22.0), 6: (8.0, 25.0), 7: (14.0, 32.0)}

# Synthetic name parts, written for this module; combined at random across lists.
_FIRST = (
    "Ada", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Lucas", "Mia", "Elena", "Hugo", "Lea", "Jonas", "Anna",
    "Marta", "Piotr", "Katarzyna", "Ivan", "Olga", "Nikos", "Eleni", "Ahmed", "Fatima", "Omar", "Layla", "Yusuf",
    "Amina", "Kwame", "Ama", "Chidi", "Ngozi", "Thabo", "Zanele", "Arjun", "Priya", "Rohan", "Ananya", "Vikram", "Deepa",
    "Wei", "Mei", "Jun", "Lin", "Hiroshi", "Yuki", "Haruto", "Sakura", "Minjun", "Jiwoo", "Thanh", "Linh", "Siddharth",
    "Camila", "Diego", "Valentina", "Santiago", "Lucia", "Joao", "Beatriz", "Rafael", "Ines", "Aleksander", "Freya",
    "Erik", "Astrid", "Sven", "Ingrid", "Aoife", "Cian", "Niamh", "Tomas", "Zofia", "Mehmet", "Elif", "Can", "Zeynep",
    "Daniel", "Sarah", "David", "Rachel", "Samuel", "Grace", "Isaac", "Hannah", "Malik", "Imani", "Jamal", "Aaliyah",
)
_LAST = (
    "Example", "Novak", "Kowalski", "Nowak", "Silva", "Santos", "Garcia", "Martinez", "Lopez", "Rossi", "Bianchi",
    "Muller", "Schmidt", "Fischer", "Weber", "Dubois", "Laurent", "Moreau", "Jansen", "de Vries", "Bakker", "Nielsen",
    "Hansen", "Johansson", "Lindqvist", "Virtanen", "Murphy", "Kelly", "O'Brien", "Smith", "Johnson", "Brown", "Taylor",
    "Walker", "Okafor", "Mensah", "Adeyemi", "Nkosi", "Mwangi", "Haddad", "Khalil", "Rahman", "Hassan", "Yilmaz",
    "Demir", "Kaya", "Petrov", "Ivanova", "Popescu", "Horvat", "Papadopoulos", "Sharma", "Patel", "Iyer", "Reddy",
    "Gupta", "Chen", "Wang", "Li", "Zhang", "Tanaka", "Sato", "Suzuki", "Kim", "Park", "Lee", "Nguyen", "Tran", "Pham",
    "Cohen", "Levi", "Friedman", "Alvarez", "Romero", "Torres", "Costa", "Pereira", "Ferreira", "Kovacs", "Szabo",
)
_CO_A = ("Blue", "North", "Bright", "Silver", "Iron", "Cedar", "Summit", "Harbor", "Atlas", "Nova", "Quanta", "Zenith",
         "Maple", "Tidal", "Ember", "Granite", "Lumen", "Vertex", "Orbit", "Prism", "Sable", "Willow", "Cobalt", "Aurora")
_CO_B = ("pine", "stone", "field", "bridge", "wave", "crest", "forge", "light", "path", "point", "works", "gate", "leaf",
         "peak", "river", "spark", "line", "mark", "sky", "oak")
_CO_SUFFIX = {
    "software": ("Labs", "Technologies", "Software", "Systems", "Cloud", "AI"),
    "data": ("Analytics", "Data", "AI", "Labs", "Insights"),
    "it": ("IT Services", "Systems", "Networks", "Tech"),
    "healthcare": ("Health", "Clinic", "Medical Center", "Hospital", "Care"),
    "sales": ("Commerce", "Retail", "Group", "Solutions"),
    "finance": ("Capital", "Bank", "Financial", "Partners", "Advisors"),
    "operations": ("Logistics", "Freight", "Supply", "Industries", "Group"),
    "hr": ("People", "Talent", "Staffing", "Group"),
    "marketing": ("Media", "Agency", "Digital", "Brands"),
    "design": ("Studio", "Design", "Creative", "Digital"),
    "legal": ("Legal", "Law Group", "LLP", "Partners"),
    "education": ("Academy", "School", "College", "Learning"),
    "hospitality": ("Kitchen", "Hotels", "Restaurants", "Hospitality"),
    "trades": ("Construction", "Electric", "Services", "Builders", "Mechanical"),
    "engineering": ("Engineering", "Dynamics", "Industries", "Manufacturing"),
    "science": ("Biosciences", "Pharma", "Labs", "Research"),
    "admin": ("Group", "Services", "Holdings", "Solutions"),
}
_EMAIL_PATTERNS = ("{first}.{last}", "{f}{last}", "{first}", "{first}_{last}", "{last}.{first}", "{first}{l}", "{f}.{last}")
_COMPANIES_PER_GROUP = 300
_UNIVERSITIES = ("State University", "Institute of Technology", "University", "Polytechnic", "College")

# Countries a sourcing tool is typically used in are weighted up; sampling by raw
# population alone would put most of the pool in a handful of megacities.
_COUNTRY_WEIGHT = {
    "US": 6.0, "GB": 6.0, "DE": 6.0, "CA": 5.0, "AU": 5.0, "IE": 6.0, "NL": 6.0, "FR": 4.0, "ES": 4.0, "IT": 3.0,
    "PL": 4.0, "SE": 6.0, "DK": 6.0, "NO": 6.0, "FI": 6.0, "CH": 6.0, "AT": 6.0, "BE": 5.0, "PT": 4.0, "CZ": 4.0,
    "SK": 4.0, "SG": 6.0, "IL": 4.0, "NZ": 5.0, "JP": 1.0, "KR": 1.0, "IN": 0.8, "BR": 1.5, "MX": 1.5, "AR": 2.0,
    "ZA": 2.0, "NG": 0.8, "KE": 1.5, "EG": 0.8, "AE": 4.0, "TR": 1.0, "RO": 3.0, "HU": 3.0, "GR": 3.0, "UA": 2.0,
    "CO": 2.0, "CL": 2.0, "PH": 0.8, "VN": 0.8, "ID": 0.5, "CN": 0.15, "RU": 0.3, "PK": 0.3, "BD": 0.2,
}
_MIN_CITY_POP = 100_000


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    country: str
    region: str | None


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    pattern: str


@lru_cache(maxsize=1)
def _cities() -> tuple[tuple[_City, ...], tuple[float, ...]]:
    """Gazetteer cities with cumulative sampling weights (population × country weight)."""
    try:
        from talentscout.lexicons.load import read_data_bytes

        doc = orjson.loads(gzip.decompress(read_data_bytes("places.json.gz")))
        cols = doc["cities"]
        names, ccs, regions, pops = cols["name"], cols["country"], cols["region"], cols["population"]
    except Exception:  # lexicon data not built: a small fixed list keeps the demo usable
        names = ["New York City", "London", "Berlin", "Toronto", "Sydney", "Paris", "Madrid", "Amsterdam", "Warsaw",
                 "Austin", "Dublin", "Stockholm", "Singapore", "Bengaluru", "Sao Paulo"]
        ccs = ["US", "GB", "DE", "CA", "AU", "FR", "ES", "NL", "PL", "US", "IE", "SE", "SG", "IN", "BR"]
        regions = ["US-NY", "", "DE-BE", "CA-ON", "AU-NSW", "", "", "", "", "US-TX", "", "", "", "", ""]
        pops = [8_800_000, 8_900_000, 3_600_000, 2_700_000, 5_000_000, 2_100_000, 3_200_000, 870_000, 1_800_000,
                960_000, 1_200_000, 975_000, 5_600_000, 8_400_000, 12_000_000]
    cities: list[_City] = []
    weights: list[float] = []
    for name, cc, reg, pop in zip(names, ccs, regions, pops, strict=True):
        if pop < _MIN_CITY_POP:
            continue
        w = pop * _COUNTRY_WEIGHT.get(cc, 0.5)
        cities.append(_City(name, cc, reg or None))
        weights.append(w)
    return tuple(cities), tuple(accumulate(weights))


@lru_cache(maxsize=8)
def _all_companies(seed: int) -> dict[str, tuple[_Company, ...]]:
    """Companies per group; names and domains unique across the whole pool."""
    rng = random.Random(f"companies:{seed}")
    names: set[str] = set()
    domains: set[str] = set()
    out: dict[str, tuple[_Company, ...]] = {}
    for group in sorted(_CO_SUFFIX):
        suffixes = _CO_SUFFIX[group]
        made: list[_Company] = []
        while len(made) < _COMPANIES_PER_GROUP:
            a, b = rng.choice(_CO_A), rng.choice(_CO_B)
            base = a + b if rng.random() < 0.6 else f"{a} {b.capitalize()}"
            suffix = rng.choice(suffixes)
            name = f"{base} {suffix}"
            slug = base.lower().replace(" ", "") + ("" if rng.random() < 0.5 else suffix.lower().split()[0])
            if name in names or slug in domains:
                continue
            names.add(name)
            domains.add(slug)
            made.append(_Company(name=name, domain=f"{slug}.example", pattern=rng.choice(_EMAIL_PATTERNS)))
        out[group] = tuple(made)
    return out


def _companies(seed: int, group: str) -> tuple[_Company, ...]:
    return _all_companies(seed)[group]


_OCC_CUM = tuple(accumulate(o.weight for o in OCCUPATIONS))
_BY_GROUP: dict[str, tuple[Occupation, ...]] = {}
for _o in OCCUPATIONS:
    _BY_GROUP[_o.group] = (*_BY_GROUP.get(_o.group, ()), _o)


def _pick_weighted(rng: random.Random, cum: Sequence[float]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _title(occ: Occupation, level: int, rng: random.Random, base: str) -> str:
    if level >= 6:
        if level == 7:
            dept = _DEPARTMENT.get(occ.group, occ.group.capitalize())
            return rng.choice((f"VP of {dept}", f"Chief {dept} Officer" if dept in ("Technology", "Data", "Marketing", "Operations", "Financial") else f"VP {dept}"))
        return occ.lead_title or f"{base} Manager"
    if occ.group in _TRADE_GROUPS and level in (3, 4, 5):
        # Trades and care work rarely use "Staff"/"Principal": senior, lead, or a numeral.
        return rng.choice((f"Senior {base}", f"Lead {base}", f"{base} III")) if level == 3 else f"Lead {base}"
    prefix = rng.choice(_PREFIX[level])
    if level == 2 and rng.random() < 0.15:
        return f"{base} II"
    return f"{prefix} {base}".strip()


def _email(company: _Company, first: str, last: str) -> str:
    f, lst = _slug(first), _slug(last)
    local = company.pattern.format(first=f, last=lst, f=f[:1], l=lst[:1])
    return f"{local}@{company.domain}"


def _ym(months: int) -> str:
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def generate_one(seed: int, i: int, *, today_months: int | None = None) -> dict[str, Any]:
    """Profile `i` of pool `seed`, in the import format (deterministic in (seed, i) and today)."""
    rng = random.Random(seed * 1_000_003 + i)
    now = today_months if today_months is not None else this_month().months()
    occ = OCCUPATIONS[_pick_weighted(rng, _OCC_CUM)]
    level = _LEVELS[_pick_weighted(rng, _LEVEL_CUM)]
    lo, hi = _YEARS[level]
    years = rng.uniform(lo, hi)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    name = f"{first} {last}"
    cities, cum = _cities()
    city = cities[_pick_weighted(rng, cum)]
    companies = _companies(seed, occ.group)
    base = rng.choice(occ.titles)

    # Career, newest first: walk back from today, levels falling towards the start.
    work: list[dict[str, Any]] = []
    start_total = now - max(1, int(years * 12))
    cursor_end: int | None = None  # None = current
    cursor = now
    lvl = level
    changed = occ.group in _BY_GROUP and len(_BY_GROUP[occ.group]) > 1 and rng.random() < 0.12
    while cursor > start_total and len(work) < 8:
        tenure = rng.randint(10, 60) if lvl >= 2 else rng.randint(6, 30)
        begin = max(start_total, cursor - tenure)
        older = cursor - begin < 6 and work  # a last stub too short to be a job
        if older:
            break
        role_occ = occ
        if changed and cursor - start_total < 30 and len(work) >= 1:
            role_occ = rng.choice(_BY_GROUP[occ.group])  # an early career in a neighbouring occupation
        company = rng.choice(companies)
        title = _title(role_occ, lvl, rng, base if role_occ is occ else rng.choice(role_occ.titles))
        used = rng.sample(role_occ.skills, k=min(len(role_occ.skills), rng.randint(2, 4)))
        entry: dict[str, Any] = {
            "name": company.name,
            "position": title,
            "startDate": _ym(begin) if rng.random() > 0.1 else str(begin // 12),
            "endDate": None if cursor_end is None else _ym(cursor_end),
            "summary": rng.choice(_SUMMARIES).format(skills=", ".join(used), area=role_occ.group),
        }
        if rng.random() < 0.6:
            entry["url"] = f"https://{company.domain}"
        if rng.random() < 0.5:
            entry["highlights"] = [rng.choice(_HIGHLIGHTS).format(n=rng.randint(5, 60))]
        work.append(entry)
        gap = rng.choice((0, 0, 0, 1, 1, 2, 3, 6))
        cursor_end = begin - 1 - gap
        cursor = cursor_end
        if rng.random() < 0.55 and lvl > 1:
            lvl -= 1 if lvl != 6 else rng.choice((1, 2, 3))
        lvl = max(lvl, 0)

    k = rng.randint(5, min(12, len(occ.skills)))
    skills: list[dict[str, Any]] = [{"name": s} for s in rng.sample(occ.skills, k=k)]
    if rng.random() < 0.3:
        skills[0]["keywords"] = rng.sample(occ.skills, k=2)

    basics: dict[str, Any] = {
        "name": name,
        "label": f"{work[0]['position']} at {work[0]['name']}" if work and rng.random() < 0.7 else (work[0]["position"] if work else base),
        "location": {"city": city.name, "countryCode": city.country}
        | ({"region": city.region.split("-", 1)[-1]} if city.region and city.country in ("US", "CA", "AU") else {}),
    }
    if rng.random() < 0.6:
        basics["summary"] = f"{base} with {max(1, round(years))}+ years of experience. Skilled in {', '.join(s['name'] for s in skills[:4])}."
    handle = f"{_slug(first)}-{_slug(last)}-{rng.randint(1000, 9999)}"
    profiles: list[dict[str, Any]] = []
    if rng.random() < 0.85:
        profiles.append({"network": "LinkedIn", "url": f"https://www.linkedin.com/in/{handle}"})
    if occ.group in ("software", "data") and rng.random() < 0.6:
        gh = f"{_slug(first)}{_slug(last)[:3]}{rng.randint(1, 99)}"
        profiles.append({"network": "GitHub", "username": gh, "url": f"https://github.com/{gh}"})
    if profiles:
        basics["profiles"] = profiles
    if rng.random() < 0.15:
        basics["url"] = f"https://{_slug(first)}{_slug(last)}.example"
    if work and rng.random() < 0.2:
        current_company = next((c for c in companies if c.name == work[0]["name"]), None)
        if current_company is not None:
            basics["email"] = _email(current_company, first, last)

    out: dict[str, Any] = {
        "id": f"demo-{seed}-{i}",
        "basics": basics,
        "work": work,
        "skills": skills,
        # JSON Resume's free-form `meta`: the generator's truth, for evaluation (the importer ignores it).
        "meta": {"demoOccupation": occ.key, "demoLevel": level},
    }
    if occ.degree_areas and rng.random() < 0.85:
        grad = start_total // 12
        out["education"] = [{
            "institution": f"{city.name} {rng.choice(_UNIVERSITIES)}",
            "area": rng.choice(occ.degree_areas),
            "studyType": rng.choice(("BSc", "BA", "MSc", "MA", "BEng")) if level < 5 else rng.choice(("MSc", "MBA", "PhD", "BSc")),
            "endDate": str(grad),
        }]
    langs = [{"language": "English", "fluency": "Fluent"}]
    native = _NATIVE.get(city.country)
    if native:
        langs.insert(0, {"language": native, "fluency": "Native"})
    out["languages"] = langs
    return out


_LEVEL_CUM = tuple(accumulate(_LEVEL_WEIGHTS))
_DEPARTMENT = {
    "software": "Engineering", "data": "Data", "it": "Technology", "healthcare": "Clinical Services", "sales": "Sales",
    "finance": "Finance", "operations": "Operations", "hr": "People", "marketing": "Marketing", "design": "Design",
    "legal": "Legal", "education": "Education", "hospitality": "Hospitality", "trades": "Field Operations",
    "engineering": "Engineering", "science": "Research", "admin": "Administration",
}
_SUMMARIES = (
    "Responsible for day-to-day {area} work. Used {skills}.",
    "Led {area} projects end to end. Hands-on with {skills}.",
    "Worked in a cross-functional team; tools: {skills}.",
    "Owned key {area} deliverables using {skills}.",
    "Day-to-day work with {skills}.",
)
_HIGHLIGHTS = (
    "Improved throughput by {n}%",
    "Cut costs by {n}%",
    "Mentored {n} colleagues" ,
    "Reduced turnaround time by {n}%",
    "Grew customer satisfaction by {n}%",
)
_NATIVE = {
    "DE": "German", "AT": "German", "CH": "German", "FR": "French", "BE": "French", "ES": "Spanish", "MX": "Spanish",
    "AR": "Spanish", "CO": "Spanish", "CL": "Spanish", "IT": "Italian", "PL": "Polish", "NL": "Dutch", "PT": "Portuguese",
    "BR": "Portuguese", "SE": "Swedish", "DK": "Danish", "NO": "Norwegian", "FI": "Finnish", "CZ": "Czech",
    "SK": "Slovak", "JP": "Japanese", "KR": "Korean", "CN": "Chinese", "IN": "Hindi", "TR": "Turkish", "RO": "Romanian",
    "HU": "Hungarian", "GR": "Greek", "UA": "Ukrainian", "RU": "Russian", "IL": "Hebrew", "AE": "Arabic", "EG": "Arabic",
    "VN": "Vietnamese", "ID": "Indonesian",
}


def generate(seed: int, start: int, count: int) -> Iterator[dict[str, Any]]:
    """Profiles `start` … `start + count - 1` of pool `seed`."""
    today = this_month().months()
    for i in range(start, start + count):
        yield generate_one(seed, i, today_months=today)
