/** The rubric builder's past outputs to grade: finished sessions, the newest 50. */
import { useCall } from './useCall'

export const usePastSessions = () => useCall('sessions.overview', { status: 'completed', limit: 50 })
