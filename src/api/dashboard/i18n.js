// Interface text in French and English. `t(key)` reads the current language.

const TEXT = {
  fr: {
    skip: "Aller au contenu", tagline: "Compétences open source dans les offres d'emploi",
    settings: "Réglages", skills: "Compétences", tabSkills: "Compétences", tabCerts: "Certifications",
    tabAll: "Toutes", category: "Catégorie", allCategories: "toutes", search: "Chercher (nom ou alias, FR/EN)",
    where: "Lieu et période", place: "Lieu", from: "Du", to: "Au", interval: "Pas",
    week: "semaine", month: "mois", quarter: "trimestre", year: "année",
    measure: "Mesure", metric: "Offres", new: "nouvelles", active: "actives", value: "Valeur",
    count: "nombre", share: "part", index: "indice (100 = début)", growth: "progression",
    trendTitle: "Évolution", chartHint: "Survolez ou parcourez les points au clavier ; Entrée liste les offres.",
    csv: "Télécharger le CSV", mapTitle: "Carte", mapSkill: "Compétence", regions: "Régions",
    departments: "Départements", topTitle: "Top et progression", skill: "Compétence",
    drillTitle: "Offres", more: "Plus", remove: "Retirer", add: "Ajouter",
    credits: "Fonds de carte : Natural Earth (domaine public). Données : l'API de ce serveur.",
    france: "France", remote: "Télétravail", countries: "Pays", world: "Monde",
    lowSupport: "peu d'offres", noData: "aucune offre", of: "sur", choose: "Choisissez une compétence.",
    lang: "EN", langName: "English", overseas: "Outre-mer", none: "Aucune offre.",
    period: "période", legend: "Part des offres", colon: " : ",
  },
  en: {
    skip: "Skip to content", tagline: "Open-source skills in job postings",
    settings: "Settings", skills: "Skills", tabSkills: "Skills", tabCerts: "Certifications",
    tabAll: "All", category: "Category", allCategories: "all", search: "Search (name or alias, FR/EN)",
    where: "Place and period", place: "Place", from: "From", to: "To", interval: "Step",
    week: "week", month: "month", quarter: "quarter", year: "year",
    measure: "Measure", metric: "Postings", new: "new", active: "active", value: "Value",
    count: "count", share: "share", index: "index (100 = start)", growth: "growth",
    trendTitle: "Trend", chartHint: "Hover or tab through the points; Enter lists the postings.",
    csv: "Download CSV", mapTitle: "Map", mapSkill: "Skill", regions: "Regions",
    departments: "Departments", topTitle: "Top and rising", skill: "Skill",
    drillTitle: "Postings", more: "More", remove: "Remove", add: "Add",
    credits: "Base map: Natural Earth (public domain). Data: this server's API.",
    france: "France", remote: "Remote", countries: "Countries", world: "World",
    lowSupport: "few postings", noData: "no postings", of: "of", choose: "Pick a skill.",
    lang: "FR", langName: "Français", overseas: "Overseas", none: "No postings.",
    period: "period", legend: "Share of postings", colon: ": ",
  },
};

let current = "fr";

/** Sets the interface language ("fr" or "en"). */
export function setLanguage(lang) {
  current = lang === "en" ? "en" : "fr";
  document.documentElement.lang = current;
}

/** The current language. */
export function language() {
  return current;
}

/** The text of `key` in the current language. */
export function t(key) {
  return TEXT[current][key] ?? TEXT.fr[key] ?? key;
}

/** Fills every element that has a `data-i18n` key. */
export function translatePage() {
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}

/** A share as a percentage, in the current language's format. */
export function percent(share, digits = 1) {
  if (share === null || share === undefined) return "–";
  return new Intl.NumberFormat(current, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(share);
}

/** A number in the current language's format. */
export function number(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(value);
}
