/** The four starting points for a new agent: a name suggestion, the default model, short instructions, and the template tools. Data only. */
export interface AgentTemplate {
  id: string
  label: string
  name: string
  system_prompt: string
}

export const DEFAULT_MODEL = 'claude-sonnet-4-5'
export const TEMPLATE_TOOLS = ['memory', 'workspace']

export const TEMPLATES: AgentTemplate[] = [
  {
    id: 'researcher',
    label: 'Researcher',
    name: 'Researcher',
    system_prompt:
      'You research questions carefully. Gather facts, note where each came from, say what is uncertain, and end with a short summary.',
  },
  {
    id: 'writer',
    label: 'Writer',
    name: 'Writer',
    system_prompt:
      'You write clear, plain prose. Ask what the reader needs, keep sentences short, and revise before you answer.',
  },
  {
    id: 'coder',
    label: 'Coder',
    name: 'Coder',
    system_prompt:
      'You write and fix code. Read what exists first, make small complete changes, explain them briefly, and say how to test them.',
  },
  {
    id: 'support',
    label: 'Support',
    name: 'Support',
    system_prompt:
      'You answer customer questions kindly and precisely. Use what you remember about the product, and say so when you do not know.',
  },
]
