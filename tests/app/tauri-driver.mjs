// Starts the real app under WebDriver: tauri-driver (which starts the app
// and Debian's WebKitWebDriver) on free loopback ports, then a selenium
// session on it. Shared by webdriver.mjs (the CI check) and screens.mjs
// (the screen timings).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Builder } from 'selenium-webdriver'

const installed = path.join(os.homedir(), '.cargo/bin/tauri-driver')
const driverBin = process.env.TAURI_DRIVER ?? (existsSync(installed) ? installed : 'tauri-driver')

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function waitForPort(port, child, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`)
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket.end() && true))
      socket.on('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${timeoutMs} ms`)
}

/**
 * Starts `application` under tauri-driver with `env` (default: this
 * process's) and `stdio` for the driver; resolves with `{ driver,
 * tauriDriver }` once a WebDriver session is open. A start that fails stops
 * tauri-driver before it throws.
 */
export async function startApp(application, { env = process.env, stdio = ['ignore', 'inherit', 'inherit'] } = {}) {
  const port = await freePort()
  const nativePort = await freePort()
  const tauriDriver = spawn(
    driverBin,
    ['--port', String(port), '--native-port', String(nativePort), '--native-driver', '/usr/bin/WebKitWebDriver'],
    { stdio, env },
  )
  const spawned = new Promise((resolve, reject) => {
    tauriDriver.on('spawn', resolve)
    tauriDriver.on('error', (error) =>
      reject(new Error(`cannot start tauri-driver (${error.message}): cargo install tauri-driver --version ^2 --locked`)),
    )
  })
  try {
    await spawned
    await waitForPort(port, tauriDriver)
    const driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}/`)
      .withCapabilities({ browserName: 'wry', 'tauri:options': { application } })
      .build()
    return { driver, tauriDriver }
  } catch (error) {
    tauriDriver.kill()
    throw error
  }
}
