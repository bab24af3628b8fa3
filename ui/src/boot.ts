/**
 * The page's first script, kept tiny so it runs before the app's code has
 * even arrived: it starts fetching the screen the address opens (and that
 * screen's first engine calls) and the app itself, all at once, instead of
 * one after the other.
 */
import { preloadScreenFor } from './routes'

preloadScreenFor(window.location.hash)
void import('./main')
