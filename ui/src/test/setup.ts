// Test setup: jest-dom matchers, and a clean DOM and storage between tests.
import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

afterEach(() => {
  // Tests in the node environment (the API's) have no DOM to clean.
  if (typeof window === 'undefined') return
  cleanup()
  window.localStorage.clear()
  delete document.documentElement.dataset.theme
})
