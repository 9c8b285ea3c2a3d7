"""Text templates that carry the ROLES.md signals (and deliberate non-signals).

Each persona writes about what its role's hiring teams look for: ML engineers
about serving, evaluation and monitoring; MLOps engineers about platforms,
Terraform/Helm and GPU cost; AI PMs about evals, launches and staged rollout;
AI UX designers about explanation, trust and user control.  Non-leads write
about their own fields so keyword features have something to reject.
"""
from __future__ import annotations

import random

ROLES = ("ml_engineer", "mlops_engineer", "ai_product_manager", "ai_ux_designer")
NON_LEADS = ("researcher", "web_developer", "physicist")

COMPANIES = (
    "Helio Cloud", "Quanta Retail", "Northwind Analytics", "Bluefin Health", "Orbital Freight",
    "Lumen Bank", "Kestrel AI", "Vantage Media", "Pinecrest Insurance", "Tidewater Games",
    "Fernleaf Robotics", "Copperline Logistics",
)
UNIVERSITIES = (
    "Northgate University", "University of Eastbridge", "Lakeshore Institute of Technology",
    "Royal College of Westmarch", "Meridian University", "Institut Polytechnique de Valmont",
)
PHYSICS_LABS = ("Stellar Physics Laboratory", "Aurora Particle Observatory", "Meridian University")
LOCATIONS = (
    "Berlin, Germany", "Lisbon, Portugal", "Toronto, Canada", "Austin, TX", "Bangalore, India",
    "Lagos, Nigeria", "Seoul, South Korea", "Stockholm, Sweden", "Madrid, Spain", "Warsaw, Poland",
    "Melbourne, Australia", "Remote",
)
TITLES = {
    "ml_engineer": ("Machine Learning Engineer", "Senior ML Engineer", "Staff Machine Learning Engineer",
                    "Applied Scientist", "ML Engineer, Search"),
    "mlops_engineer": ("MLOps Engineer", "ML Platform Engineer", "Site Reliability Engineer, ML Infrastructure",
                       "Staff Infrastructure Engineer", "Platform Lead"),
    "ai_product_manager": ("Product Manager, AI", "Senior Product Manager", "Head of Product",
                           "Director of Product, AI", "VP of Product", "Group Product Manager"),
    "ai_ux_designer": ("Product Designer", "UX Researcher", "Design Lead", "Senior Interaction Designer",
                       "Research Scientist, HCI"),
    "researcher": ("PhD Student", "Postdoctoral Researcher", "Assistant Professor", "Research Scientist"),
    "web_developer": ("Frontend Engineer", "Full-Stack Developer", "Web Developer", "Senior Software Engineer"),
    "physicist": ("Postdoctoral Researcher in Physics", "Professor of Physics", "Staff Scientist",
                  "Computational Physicist"),
}
BIO_FOCUS = {
    "ml_engineer": ("I build and ship ML systems end to end: data pipelines, training, evaluation, "
                    "model serving on Kubernetes and monitoring in production.",
                    "Works on low-latency inference APIs, offline and online evaluation, and "
                    "detecting how models fail after deployment."),
    "mlops_engineer": ("Builds the ML platform: model serving, experiment tracking, GPU clusters with "
                       "Terraform and Helm, Prometheus/Grafana observability and inference cost.",
                       "Keeps training and inference reliable and reproducible: CI/CD for ML, "
                       "feature stores, OpenTelemetry tracing, drift monitoring."),
    "ai_product_manager": ("Leads AI products from strategy to launch: defining quality metrics and "
                           "evals for LLM features, staged rollouts and rollback plans.",
                           "Product leader for probabilistic systems: success criteria, user outcomes "
                           "vs model behaviour, and launch reviews with engineering."),
    "ai_ux_designer": ("Designs human-AI interaction: explaining model behaviour, showing uncertainty "
                       "and confidence, feedback loops and keeping users in control.",
                       "Researches trust and override in AI-assisted workflows and prototypes "
                       "interfaces for probabilistic output."),
    "researcher": ("Researches optimisation theory and representation learning; interested in "
                   "generalisation bounds.",
                   "Works on theory of deep learning and probabilistic models."),
    "web_developer": ("Builds accessible web apps with React and TypeScript; CSS enthusiast.",
                      "Full-stack developer: Node, GraphQL, design systems for the web."),
    "physicist": ("Computational physicist working on lattice simulations and detector data analysis.",
                  "Studies dark matter phenomenology and numerical relativity."),
}
WEAK_BIO = {
    "ai_product_manager": "Product manager for payments and checkout flows.",
    "ai_ux_designer": "Visual designer; brand identity and marketing sites.",
    "ml_engineer": "Software engineer, curious about machine learning.",
    "mlops_engineer": "DevOps engineer: CI pipelines, Linux, on-call.",
}

# field -> (primary categories, cross-lists, title templates, abstract templates, journal refs)
PAPER_FIELDS = {
    "ml_engineer": (("cs.LG",), ("cs.DC", "cs.SE", "stat.ML"),
                    ("Serving {thing} at Low Latency: Lessons from Production",
                     "Continuous Evaluation of {thing} in Deployment",
                     "Detecting Silent Failures of {thing} with Online Monitoring",
                     "Cost-Aware Inference for {thing}"),
                    ("We present a system for deploying {thing} to production with an inference server "
                     "on Kubernetes. We describe our evaluation pipeline, online monitoring of drift and "
                     "failure detection, and report latency and cost improvements over a baseline.",),
                    ("Proceedings of MLSys 2025", "KDD '24 Applied Data Science Track", None)),
    "mlops_engineer": (("cs.DC",), ("cs.LG", "cs.SE"),
                       ("A Reproducible Platform for Training and Serving {thing}",
                        "GPU Scheduling for Multi-Tenant Inference of {thing}"),
                       ("We describe an ML platform combining experiment tracking, a model registry, "
                        "orchestration and model serving. Infrastructure is declared with Terraform and "
                        "Helm; observability uses Prometheus and OpenTelemetry; we reduce GPU inference "
                        "cost for {thing}.",),
                       ("SoCC '25", None)),
    "ai_ux_designer": (("cs.HC",), ("cs.AI", "cs.CY"),
                       ("Explaining {thing} to End Users: A Study of Trust and Override",
                        "Showing Uncertainty in {thing}: Effects on Reliance",
                        "Designing Feedback Mechanisms for AI-Assisted {thing}"),
                       ("We study human-AI interaction in {thing}. In a study with 48 participants we "
                        "compare explanation and confidence displays, measure trust, appropriate reliance "
                        "and user override, and derive design guidelines for probabilistic output.",),
                       ("CHI '25", "CSCW 2024", "UIST '24", None)),
    "researcher": (("cs.LG",), ("stat.ML", "math.OC"),
                   ("Generalisation Bounds for {thing}", "On the Implicit Bias of {thing}",
                    "A Theory of Representation Collapse in {thing}"),
                   ("We prove convergence and generalisation bounds for {thing} under mild assumptions "
                    "and characterise the implicit bias of gradient descent. Our analysis is purely "
                    "theoretical and extends prior results on overparameterised models.",),
                   ("COLT 2025", None)),
    "physicist": (("hep-ph", "astro-ph.CO", "cond-mat.stat-mech"), ("physics.comp-ph", "physics.data-an"),
                  ("Lattice Study of {pthing}", "Constraints on {pthing} from Survey Data",
                   "Monte Carlo Simulation of {pthing}"),
                  ("We compute {pthing} with large-scale Monte Carlo simulation and compare with "
                   "observational data. Numerical methods and error analysis are discussed.",),
                  ("Phys. Rev. D 111, 034502 (2025)", None)),
}
ML_THINGS = ("Large Language Models", "Recommendation Models", "Retrieval-Augmented Generation",
             "Speech Recognition Models", "Fraud Detection Models", "Vision Transformers",
             "Code Assistants", "Search Ranking Models")
PHYSICS_THINGS = ("Dark Matter Halos", "Quark-Gluon Plasma", "Spin Glasses", "Neutron Star Mergers",
                  "Cosmic Ray Showers")

TALKS = {
    "ml_engineer": (("ML in Production: How Our {thing} Fail and How We Notice",
                     "From Notebook to Inference Server: Shipping {thing}",
                     "Evaluation Before Launch: Testing {thing} Like Software"),
                    "A practical talk on deploying {thing}: serving, evaluation harnesses, monitoring "
                    "and the failure modes we found in production, with latency and cost numbers."),
    "mlops_engineer": (("Cutting GPU Inference Cost for {thing}",
                        "Our ML Platform on Kubernetes: Terraform, Helm and Observability",
                        "Reliable Model Serving at Scale"),
                       "How we run the ML platform: model serving, experiment tracking, Terraform "
                       "modules, Helm charts, Prometheus and Grafana dashboards, and GPU cost for {thing}."),
    "ai_product_manager": (("Defining Quality for AI Features: Evals Product Teams Can Own",
                            "AI Product Strategy: Launching {thing} with Staged Rollouts",
                            "Measuring User Outcomes, Not Model Scores"),
                           "What product managers need for probabilistic systems: success criteria, "
                           "evaluation frameworks, staged rollout and rollback, and how we launched {thing}."),
    "ai_ux_designer": (("Designing for Probabilistic Output: AI UX Patterns",
                        "Explaining {thing} in the Interface",
                        "Trust, Override and Feedback in AI-Assisted Workflows"),
                       "AI UX in practice: explaining model behaviour, showing confidence, capturing "
                       "user feedback and balancing automation with human control for {thing}."),
    "researcher": (("New Bounds for {thing}",),
                   "A theory talk on generalisation and implicit bias for {thing}."),
    "web_developer": (("Modern CSS Layouts Without Frameworks", "Type-Safe APIs with TypeScript",
                       "Accessible Forms in React"),
                      "A web development talk: components, accessibility, performance budgets and "
                      "developer experience."),
    "physicist": (("Simulating {pthing} with Julia",),
                  "Numerical simulation of {pthing}: performance, parallelism and error analysis."),
}
WEAK_TALKS = {
    "ai_product_manager": ("Roadmaps That Survive Contact with Reality",
                           "Prioritisation frameworks for product teams, with stories from checkout redesigns."),
    "ai_ux_designer": ("Brand Refresh Without Tears", "A visual design talk on typography, colour and brand systems."),
    "ml_engineer": ("My First Kaggle Competition", "Beginner notes from a first machine learning competition."),
    "mlops_engineer": ("On-Call Without Burnout", "Lessons from years of on-call rotations for web services."),
}

# repo kind -> (orgs, name stems, description, topics, languages)
REPO_KINDS = {
    "serving": (("modelserve-io", "inferlabs"), ("tensorgate", "inferno-serve", "llm-router", "modelmesh-lite"),
                "A model serving and inference server for Kubernetes with autoscaling",
                ("model-serving", "inference", "kubernetes", "mlops"),
                (("Python", 6), ("Go", 3), ("Dockerfile", 1), ("Shell", 1))),
    "eval": (("evalworks",), ("evalkit", "bench-harness", "llm-judge", "regress-eval"),
             "Evaluation and benchmark harness for ML and LLM systems",
             ("evaluation", "benchmark", "llm", "machine-learning"), (("Python", 9), ("Jupyter Notebook", 1))),
    "tracking": (("runledger-dev",), ("runledger", "model-registry", "metricstore"),
                 "Open source experiment tracking and model registry (MLflow-like)",
                 ("experiment-tracking", "mlops", "model-registry"), (("Python", 7), ("TypeScript", 3))),
    "orchestration": (("flowpipe-dev",), ("flowpipe", "dagrunner", "pipeline-kit"),
                      "Orchestration of data and ML pipelines", ("orchestration", "pipelines", "mlops"),
                      (("Python", 9), ("Shell", 1))),
    "featurestore": (("featherstore",), ("featherstore", "online-features"),
                     "A feature store for online and offline ML features", ("feature-store", "mlops"),
                     (("Python", 6), ("Go", 4))),
    "terraform": (("infra-kit",), ("terraform-gpu-cluster", "terraform-ml-platform", "tf-inference-vpc"),
                  "Terraform modules for GPU clusters and ML platforms",
                  ("terraform", "gpu", "kubernetes", "infrastructure-as-code"), (("HCL", 9), ("Shell", 1))),
    "helm": (("infra-kit",), ("helm-charts-ml", "serving-charts"), "Helm charts for ML serving and tracking",
             ("helm", "kubernetes", "charts"), (("Smarty", 6), ("Shell", 2), ("Python", 2))),
    "observability": (("obs-stack",), ("drift-watch", "gpu-exporter", "otel-ml"),
                      "Observability for ML: Prometheus exporters, Grafana dashboards, drift monitoring",
                      ("observability", "prometheus", "grafana", "opentelemetry", "monitoring"),
                      (("Go", 7), ("Python", 3))),
    "web": (("webcraft-labs",), ("pixel-router", "formkit-ui", "static-press"),
            "Components and tooling for fast, accessible websites", ("react", "frontend", "css", "typescript"),
            (("TypeScript", 7), ("JavaScript", 2), ("CSS", 1))),
    "design": (("designfold",), ("aura-design-system", "ai-ux-patterns", "explain-widgets"),
               "Design system and prototypes for AI-assisted interfaces: explanations, confidence display",
               ("design-system", "human-ai-interaction", "prototype", "ux"), (("TypeScript", 6), ("CSS", 4))),
    "physics": (("openphys",), ("lattice-tools", "halo-sim", "montecarlo-kit"),
                "Simulation and analysis tools for computational physics", ("physics", "simulation", "julia"),
                (("Julia", 6), ("Fortran", 2), ("C++", 2))),
}
PERSONA_REPO_KINDS = {
    "ml_engineer": ("serving", "eval", "serving", "eval", "orchestration"),
    "mlops_engineer": ("tracking", "terraform", "helm", "observability", "featurestore", "orchestration", "serving"),
    "ai_product_manager": ("eval",),
    "ai_ux_designer": ("design",),
    "web_developer": ("web",),
    "physicist": ("physics",),
    "researcher": (),
}


def pick(rng: random.Random, options):
    """``rng.choice``: consumes the same random stream as ``randrange(len(options))``."""
    return rng.choice(options)


def fill(rng: random.Random, template: str) -> str:
    return template.format(thing=pick(rng, ML_THINGS), pthing=pick(rng, PHYSICS_THINGS))
