import { describe, expect, it } from 'vitest';
import { dependencyOrder } from './graph-order.js';

const graph = (edges: Record<string, string[]>) => (id: string) => edges[id] ?? [];

describe('dependencyOrder', () => {
  it('puts a chain dependencies first', () => {
    expect(
      dependencyOrder(['rtl', 'lnd', 'bitcoin-core'], graph({ rtl: ['lnd'], lnd: ['bitcoin-core'] })),
    ).toEqual({
      order: ['bitcoin-core', 'lnd', 'rtl'],
      cycles: [],
    });
  });

  it('orders a diamond with ties by id', () => {
    const edges = graph({ top: ['right', 'left'], left: ['base'], right: ['base'] });
    expect(dependencyOrder(['top', 'right', 'left', 'base'], edges).order).toEqual([
      'base',
      'left',
      'right',
      'top',
    ]);
  });

  it('takes the smallest ready id first, not a whole branch first', () => {
    const edges = graph({ b: ['z'] });
    expect(dependencyOrder(['z', 'b', 'a'], edges).order).toEqual(['a', 'z', 'b']);
  });

  it('ignores edges to nodes outside the graph', () => {
    expect(dependencyOrder(['lnd'], graph({ lnd: ['bitcoin-node'] }))).toEqual({
      order: ['lnd'],
      cycles: [],
    });
  });

  it('reports 2- and 3-cycles from their smallest id and still orders every node', () => {
    const edges = graph({ a: ['b'], b: ['a'], c: ['d'], d: ['e'], e: ['c'], app: ['c'], base: [] });
    expect(dependencyOrder(['app', 'e', 'd', 'c', 'b', 'a', 'base'], edges)).toEqual({
      order: ['a', 'b', 'base', 'c', 'd', 'e', 'app'],
      cycles: [
        ['a', 'b', 'a'],
        ['c', 'd', 'e', 'c'],
      ],
    });
  });

  it('reports a self-dependency as a cycle', () => {
    expect(dependencyOrder(['x'], graph({ x: ['x'] }))).toEqual({ order: ['x'], cycles: [['x', 'x']] });
  });

  it('reports the shortest way round a cycle', () => {
    const edges = graph({ a: ['b', 'c'], b: ['c'], c: ['a'] });
    expect(dependencyOrder(['a', 'b', 'c'], edges).cycles).toEqual([['a', 'c', 'a']]);
  });
});
