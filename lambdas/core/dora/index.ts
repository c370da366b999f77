export * from './facts';
export * from './html';
export * from './metrics';
export * from './source';
export * from './text';
