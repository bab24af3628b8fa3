/** Wording for imports and imported sessions, shared by the Sessions screens. */
import type { ImportFormat, ImportSummary, ImportedSource } from '../api'

const FORMAT_LABEL: Record<ImportFormat, string> = {
  anthropic: 'Anthropic Messages JSON',
  openai: 'OpenAI chat JSON',
  'managed-agents': 'Claude Managed Agents events',
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`

export function formatLabel(format: ImportFormat | null): string {
  return format ? FORMAT_LABEL[format] : 'an unknown format'
}

/** One or two sentences on what an import did. */
export function describeImport(s: ImportSummary): string {
  const parts: string[] = []
  const from = `${s.file_name}${s.format ? ` (${formatLabel(s.format)})` : ''}`
  if (s.stopped) {
    parts.push(`The import stopped: ${s.stopped}`)
    parts.push(
      `${plural(s.imported, 'session was', 'sessions were')} imported into ${s.agent} before that; fix the file and import it again (sessions already imported are skipped).`,
    )
  } else if (s.imported === 0 && s.skipped_duplicates > 0) {
    parts.push(`Nothing new in ${from}: all ${plural(s.skipped_duplicates, 'session was', 'sessions were')} imported before.`)
  } else {
    parts.push(`Imported ${plural(s.imported, 'session', 'sessions')} into ${s.agent} from ${from}.`)
    if (s.skipped_duplicates > 0) {
      parts.push(`${plural(s.skipped_duplicates, 'was', 'were')} already there and skipped.`)
    }
  }
  if (s.malformed > 0 && !s.stopped) {
    parts.push(`${plural(s.malformed, 'malformed record was', 'malformed records were')} skipped; see where below.`)
  }
  return parts.join(' ')
}

/** A short badge for an imported session: its source and the source's verdict. */
export function importedLabel(source: ImportedSource): { text: string; tone: 'good' | 'bad' | 'neutral' } {
  const outcome = source.outcome
  if (outcome?.passed === true) return { text: `Imported · passed${rewardText(outcome.reward)}`, tone: 'good' }
  if (outcome?.passed === false) return { text: `Imported · failed${rewardText(outcome.reward)}`, tone: 'bad' }
  return { text: 'Imported', tone: 'neutral' }
}

function rewardText(reward: number | null): string {
  return reward === null ? '' : ` (reward ${Number.isInteger(reward) ? reward.toFixed(0) : reward.toFixed(2)})`
}
