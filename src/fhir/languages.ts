// Human languages as BCP 47 tags (urn:ietf:bcp:47), the system UK Core's human-language binding
// (Patient.communication.language, required) draws from. A record names the language by its English
// name ("Polish", "Scottish Gaelic") or by its tag ("pl", "pa-Arab"); both resolve through the ICU data
// in Node (Intl.DisplayNames, Intl.getCanonicalLocales), not a hand-kept table, so every ISO 639
// language is coded; a language's own name for itself (Cymraeg) is read too. Pure: no I/O.

export const BCP47_SYSTEM = 'urn:ietf:bcp:47';

export interface Language {
  /** The BCP 47 tag, canonical (Intl.getCanonicalLocales) except for the aliases below. */
  code: string;
  /** Its English name. */
  display: string;
}

/**
 * Languages ICU has no English name for, and names people use that are not ICU's ("Farsi"). CLDR
 * would canonicalise `cmn` to `zh`; the UK's interpreting services book Mandarin, so it stays `cmn`.
 */
const ALIASES: Readonly<Record<string, Language>> = {
  'british sign language': { code: 'bfi', display: 'British Sign Language' },
  bsl: { code: 'bfi', display: 'British Sign Language' },
  'irish sign language': { code: 'isg', display: 'Irish Sign Language' },
  mandarin: { code: 'cmn', display: 'Mandarin' },
  farsi: { code: 'fa', display: 'Persian (Farsi)' },
  sylheti: { code: 'syl', display: 'Sylheti' },
  romani: { code: 'rom', display: 'Romani' },
};
const ALIAS_CODES = new Map(Object.values(ALIASES).map((l) => [l.code, l]));

const englishNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** English name (lower case) → ISO 639 code, for every code of `length` letters ICU can name. */
function nameIndex(length: 2 | 3): Map<string, string> {
  const index = new Map<string, string>();
  const visit = (prefix: string): void => {
    if (prefix.length === length) {
      const name = englishNames.of(prefix);
      if (name && name !== prefix && !index.has(name.toLowerCase())) index.set(name.toLowerCase(), prefix);
      return;
    }
    for (const c of LETTERS) visit(prefix + c);
  };
  visit('');
  return index;
}

/** Own names (Cymraeg, Gàidhlig, Polski) of the ISO 639-1 languages ICU has a locale for. */
function endonymIndex(codes: Iterable<string>): Map<string, string> {
  const index = new Map<string, string>();
  for (const code of codes) {
    if (Intl.DisplayNames.supportedLocalesOf([code]).length === 0) continue;
    const own = new Intl.DisplayNames([code], { type: 'language', fallback: 'none' }).of(code);
    const key = own?.toLocaleLowerCase(code);
    if (key && !index.has(key)) index.set(key, code);
  }
  return index;
}

// Built on first use, cheapest first: English names of the ISO 639-1 codes (676 look-ups); then, only
// for a name not among them, the endonyms and the 17 576 three-letter codes (about a second, once
// per process).
const stages: (() => Map<string, string>)[] = [
  () => nameIndex(2),
  () => endonymIndex(nameIndex(2).values()),
  () => nameIndex(3),
];
const built: Map<string, string>[] = [];

function codeForName(name: string): string | undefined {
  for (const [i, stage] of stages.entries()) {
    const index = built[i] ?? stage();
    built[i] = index;
    const found = index.get(name);
    if (found) return found;
  }
  return undefined;
}

/** A well-formed BCP 47 tag whose primary language exists; its canonical form, else undefined. */
function canonicalTag(value: string): string | undefined {
  // The primary language subtag of a tag in use is 2–3 letters (RFC 5646 §2.2.1); 5–8 letter ones are
  // reserved, and accepting them would read the name "Welsh" as a tag.
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(value)) return undefined;
  let tag: string | undefined;
  try {
    tag = Intl.getCanonicalLocales(value)[0];
  } catch {
    return undefined; // not well-formed (RangeError)
  }
  if (!tag) return undefined;
  const primary = tag.split('-')[0] ?? '';
  const known = ALIAS_CODES.has(primary) || (englishNames.of(primary) ?? primary) !== primary;
  return known ? tag : undefined;
}

/** The language a record names (English name or BCP 47 tag), or undefined when it names none. */
export function resolveLanguage(value: string): Language | undefined {
  const text = value.trim().replace(/\s+/g, ' ');
  const alias = ALIASES[text.toLowerCase()] ?? ALIAS_CODES.get(text.toLowerCase());
  if (alias) return alias;
  const tag = canonicalTag(text);
  if (tag) return { code: tag, display: englishNames.of(tag) ?? tag };
  const code = codeForName(text.toLowerCase().replace(/-/g, ' ')) ?? codeForName(text.toLowerCase());
  return code ? { code, display: englishNames.of(code) ?? code } : undefined;
}
