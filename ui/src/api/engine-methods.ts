// Generated from the engine's API declarations (src-tauri/engine/src/api/).
// Do not edit: run `REVERIE_BLESS=1 cargo test -p reverie-engine --test api_binding`.

/** Each engine call's parameters, as the engine reads them. */
export interface EngineMethods {
  'agents.attach_store': {
    access: 'read_only' | 'read_write'
    agent: string
    store: string
  }
  'agents.create': {
    model: string
    name: string
    provider: 'anthropic' | 'openai'
    system_prompt?: string | null
    tools?: unknown[] | null
  }
  'agents.delete': {
    name: string
  }
  'agents.detach_store': {
    agent: string
    store: string
  }
  'agents.get': {
    name: string
  }
  'agents.list': Record<string, never>
  'agents.roster': {
    name: string
  }
  'agents.roster_add': {
    lead: string
    member: string
  }
  'agents.roster_remove': {
    lead: string
    member: string
  }
  'agents.update': {
    name: string
    update: {
      default_rubric_id?: string | null
      dream_policy?: 'auto' | 'review' | null
      dream_schedule?: string | null
      model?: string | null
      provider?: 'anthropic' | 'openai' | null
      settings?: unknown | null
      system_prompt?: string | null
      tools?: unknown[] | null
    }
  }
  'app.info': Record<string, never>
  'demo.load': Record<string, never>
  'dreams.apply': {
    force?: boolean | null
    id: string
  }
  'dreams.cancel': {
    id: string
  }
  'dreams.decide': {
    decision: 'accepted' | 'applied' | 'pending' | 'rejected' | 'reverted'
    edit_id: string
  }
  'dreams.decide_all': {
    decision: 'accepted' | 'applied' | 'pending' | 'rejected' | 'reverted'
    id: string
  }
  'dreams.estimate': {
    agent: string
    apply?: boolean | null
    budget_tokens?: number | null
    instructions?: string | null
    mode?: 'create_new' | 'update_existing' | null
    session_ids?: unknown[] | null
  }
  'dreams.get': {
    id: string
  }
  'dreams.list': {
    agent?: string | null
    limit?: number | null
  }
  'dreams.pause': Record<string, never>
  'dreams.reject': {
    id: string
  }
  'dreams.resume': Record<string, never>
  'dreams.revert': {
    choices?: Record<string, unknown> | null
    id: string
  }
  'dreams.revert_conflicts': {
    id: string
  }
  'dreams.schedule_status': Record<string, never>
  'dreams.start': {
    agent: string
    apply?: boolean | null
    budget_tokens?: number | null
    instructions?: string | null
    mode?: 'create_new' | 'update_existing' | null
    session_ids?: unknown[] | null
  }
  'evals.add': {
    agent: string
    name?: string | null
    rubric: string
    task: string
  }
  'evals.add_from_session': {
    rubric?: string | null
    session_id: string
  }
  'evals.compare': {
    after: string
    agent: string
    before: string
  }
  'evals.gate': {
    dream_id: string
  }
  'evals.gate_cancel': {
    id: string
  }
  'evals.gate_get': {
    id: string
  }
  'evals.gate_start': {
    dream_id: string
  }
  'evals.gates': {
    name: string
  }
  'evals.list': {
    agent: string
  }
  'evals.move': {
    id: string
    position: number
  }
  'evals.remove': {
    id: string
  }
  'evals.update': {
    id: string
    name?: string | null
    rubric?: string | null
    task?: string | null
  }
  'files.save_download': {
    file_name: string
    text: string
  }
  'keys.delete': {
    provider: 'anthropic' | 'openai'
  }
  'keys.set': {
    key: string
    provider: 'anthropic' | 'openai'
  }
  'keys.status': {
    provider: 'anthropic' | 'openai'
  }
  'keys.test': {
    provider: 'anthropic' | 'openai'
  }
  'managed.conflicts': {
    include_resolved?: boolean | null
    store: string
  }
  'managed.disable': Record<string, never>
  'managed.dream_cancel': {
    id: string
  }
  'managed.dream_import': {
    id: string
  }
  'managed.dream_start': {
    instructions?: string | null
    model?: string | null
    session_ids?: unknown[] | null
    store: string
  }
  'managed.dream_status': {
    id: string
  }
  'managed.dreams': Record<string, never>
  'managed.enable': {
    agent_id?: string | null
    base_url?: string | null
    dream_model?: string | null
    environment_id?: string | null
  }
  'managed.pull': {
    remote?: string | null
    store: string
  }
  'managed.push': {
    remote?: string | null
    store: string
  }
  'managed.resolve_conflict': {
    id: string
  }
  'managed.status': {
    check?: boolean | null
  }
  'managed.upload_sessions': {
    force?: boolean | null
    session_ids: unknown[]
  }
  'memory.blame': {
    path: string
    store: string
    version?: number | null
  }
  'memory.create_store': {
    description?: string | null
    instructions?: string | null
    name: string
    size_limit_bytes?: number | null
  }
  'memory.delete': {
    path: string
    store: string
  }
  'memory.export': {
    dir?: string | null
    store: string
    to_downloads?: boolean | null
    zip?: boolean | null
  }
  'memory.history': {
    path: string
    store: string
  }
  'memory.line': {
    action: 'correct' | 'forget' | 'pin' | 'unpin'
    expected: string
    line: number
    path: string
    store: string
    text?: string | null
  }
  'memory.list': {
    store: string
    under?: string | null
  }
  'memory.mirror_disable': {
    store: string
  }
  'memory.mirror_enable': {
    dir: string
    store: string
  }
  'memory.mirror_resolve': {
    id: string
  }
  'memory.mirror_status': {
    store: string
  }
  'memory.pin': {
    path: string
    pinned: boolean
    store: string
  }
  'memory.read': {
    path: string
    store: string
  }
  'memory.redact': {
    id: string
  }
  'memory.redact_secrets': {
    path: string
    store: string
  }
  'memory.rename': {
    from: string
    store: string
    to: string
  }
  'memory.restore': {
    path: string
    store: string
    version: number
  }
  'memory.search': {
    query: string
    store: string
  }
  'memory.stores': Record<string, never>
  'memory.update_store': {
    store: string
    update: {
      description?: string | null
      instructions?: string | null
      mirror_dir?: string | null
      size_limit_bytes?: number | null
    }
  }
  'memory.write': {
    allow_secret?: boolean | null
    content: string
    expected_sha256?: string | null
    path: string
    reason?: string | null
    store: string
  }
  'models.capabilities': {
    model: string
    provider: 'anthropic' | 'openai'
  }
  'models.list': {
    provider: 'anthropic' | 'openai'
  }
  'models.price': {
    model: string
  }
  'outcomes.for_session': {
    id: string
  }
  'outcomes.series': {
    agent?: string | null
    bucket?: 'day' | 'week' | null
    rubric?: string | null
    since?: string | null
  }
  'outcomes.stats': {
    agent?: string | null
    rubric?: string | null
    since?: string | null
  }
  'rubrics.calibrate': {
    k?: number | null
    rubric: string
    session_id: string
  }
  'rubrics.canonical': {
    document: string
  }
  'rubrics.delete': {
    name: string
  }
  'rubrics.get': {
    name: string
  }
  'rubrics.list': Record<string, never>
  'rubrics.save': {
    document: string
    name?: string | null
  }
  'rubrics.starters': Record<string, never>
  'rubrics.test': {
    document?: string | null
    grader_model?: string | null
    grader_provider?: 'anthropic' | 'openai' | null
    rubric?: string | null
    session_id: string
  }
  'rubrics.try_regex': {
    flags?: string | null
    pattern: string
    text: string
  }
  'rubrics.validate': {
    document: string
  }
  'run.cancel': {
    id: string
  }
  'run.start': {
    agent: string
    grader_model?: string | null
    grader_provider?: 'anthropic' | 'openai' | null
    max_iterations?: number | null
    no_rubric?: boolean | null
    rubric?: string | null
    task: string
  }
  'schedule.validate': {
    schedule: string
  }
  'sessions.events': {
    after_seq?: number | null
    from_time?: string | null
    id: string
    kinds?: unknown[] | null
    limit?: number | null
    thread_id?: string | null
  }
  'sessions.export': {
    format?: 'anthropic' | 'json' | 'otel' | null
    id: string
  }
  'sessions.get': {
    id: string
  }
  'sessions.import': {
    agent: string
    format?: string | null
    on_error?: string | null
    path: string
  }
  'sessions.list': {
    agent?: string | null
    limit?: number | null
    roots_only?: boolean | null
    started_after?: string | null
    started_before?: string | null
    status?: 'canceled' | 'completed' | 'failed' | 'interrupted' | 'running' | null
  }
  'sessions.marks': {
    id: string
    kinds?: unknown[] | null
    thread_id?: string | null
  }
  'sessions.overview': {
    agent?: string | null
    limit?: number | null
    outcome?: 'failed' | 'graded' | 'interrupted' | 'max_iterations_reached' | 'needs_revision' | 'satisfied' | 'ungraded' | null
    roots_only?: boolean | null
    started_after?: string | null
    started_before?: string | null
    status?: 'canceled' | 'completed' | 'failed' | 'interrupted' | 'running' | null
  }
  'sessions.page': {
    id: string
    kinds?: unknown[] | null
    limit?: number | null
    offset?: number | null
    thread_id?: string | null
  }
  'settings.get': {
    key: string
  }
  'settings.set': {
    confirm_key_host?: boolean | null
    key: string
    value: string
  }
}
