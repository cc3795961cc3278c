import { createRouter, createWebHistory, type Router } from 'vue-router';
import { useAuth } from './stores/auth';

// Every screen is its own chunk: the first load carries only the shell and the login.
export function createAppRouter(): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      {
        path: '/login',
        name: 'login',
        component: () => import('./views/AuthView.vue'),
        meta: { public: true },
      },
      {
        path: '/',
        name: 'apps',
        component: () => import('./views/ContainerApps.vue'),
        meta: { title: 'Apps' },
      },
      {
        path: '/apps/:id',
        name: 'app',
        component: () => import('./views/ContainerAppDetails.vue'),
        props: true,
        meta: { title: 'App' },
      },
      {
        path: '/marketplace',
        name: 'marketplace',
        component: () => import('./views/MarketplaceView.vue'),
        meta: { title: 'Marketplace' },
      },
      {
        path: '/marketplace/:id',
        name: 'marketplace-app',
        component: () => import('./views/MarketplaceAppDetails.vue'),
        props: true,
        meta: { title: 'Marketplace' },
      },
      {
        path: '/backups',
        name: 'backups',
        component: () => import('./views/BackupsView.vue'),
        meta: { title: 'Backups' },
      },
      {
        path: '/settings',
        name: 'settings',
        component: () => import('./views/SettingsView.vue'),
        meta: { title: 'Settings' },
      },
      { path: '/:rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
    ],
    scrollBehavior: () => ({ top: 0 }),
  });

  router.beforeEach(async (to) => {
    const auth = useAuth();
    if (auth.phase === 'unknown') await auth.refresh();
    const ready = auth.phase === 'ready';
    if (to.meta.public) return ready ? { path: '/' } : true;
    if (!ready) return { path: '/login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
    return true;
  });
  router.afterEach((to) => {
    const title = typeof to.params.id === 'string' ? to.params.id : (to.meta.title as string | undefined);
    document.title = title ? `${title} · Archipelago` : 'Archipelago';
  });
  return router;
}
