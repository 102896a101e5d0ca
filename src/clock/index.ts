// Public API of the service clocks (pure).
export * from './london-time.js';
export * from './service-clock.js';
