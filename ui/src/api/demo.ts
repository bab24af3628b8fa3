/** The demo sessions a first run can load. */

import type { ImportSummary } from './sessions'

/** The `demo.*` methods: what each takes and returns. */
export interface DemoMethods {
  'demo.load': {
    params: Record<string, never>
    result: { agent: string; created_agent: boolean; summary: ImportSummary }
  }
}
