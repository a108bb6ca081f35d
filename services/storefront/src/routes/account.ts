/** Sign up, sign in, sign out and the account page with the order history. */
import type { ServiceApp } from '@bazaar/kit';
import type { Pages } from '../render.ts';
import { callerOf, type Sessions } from '../session.ts';
import { upstreamFailure, type ShopApi } from '../upstream/shop.ts';
import { form, queryText, safeNext, seeOther, toLogin } from './support.ts';

const ORDERS_PER_PAGE = 10;

export interface AccountDeps {
  api: ShopApi;
  pages: Pages;
  sessions: Sessions;
}

type SignupField = 'name' | 'email' | 'password';

export function accountRoutes(deps: AccountDeps) {
  const { api, pages, sessions } = deps;
  return async (app: ServiceApp) => {
    app.get('/account/login', { schema: { hide: true } }, async (request, reply) => {
      const next = safeNext(queryText(request, 'next'), '/account');
      if (request.session) return seeOther(reply, next);
      return pages.render(request, reply, 'login', { title: 'Sign in', next, email: '', error: undefined });
    });

    app.post('/account/login', { schema: { hide: true } }, async (request, reply) => {
      const body = form(request);
      const next = safeNext(body.next, '/account');
      const email = (body.email ?? '').trim().slice(0, 254);
      const password = (body.password ?? '').slice(0, 1024);
      if (!email || !password) return pages.render(request, reply, 'login', { title: 'Sign in', status: 422, next, email, error: 'Enter your email and your password.' });
      try {
        const tokens = await api.login({ email, password });
        const me = await api.me({ token: tokens.accessToken });
        await sessions.signIn(request, reply, tokens, me);
      } catch (error) {
        const failure = upstreamFailure(error);
        if (failure?.status === 401) return pages.render(request, reply, 'login', { title: 'Sign in', status: 401, next, email, error: 'That email and password do not match an account.' });
        if (failure?.status === 429) return pages.render(request, reply, 'login', { title: 'Sign in', status: 429, next, email, error: 'Too many attempts. Please wait a few minutes before trying again.' });
        throw error;
      }
      return seeOther(reply, `${next}${next.includes('?') ? '&' : '?'}notice=signed-in`);
    });

    app.get('/account/signup', { schema: { hide: true } }, async (request, reply) => {
      const next = safeNext(queryText(request, 'next'), '/account');
      return pages.render(request, reply, 'signup', { title: 'Create your account', next, values: { name: '', email: '' }, errors: {}, error: undefined });
    });

    app.post('/account/signup', { schema: { hide: true } }, async (request, reply) => {
      const body = form(request);
      const next = safeNext(body.next, '/account');
      const values = { name: (body.name ?? '').trim().slice(0, 200), email: (body.email ?? '').trim().slice(0, 254), password: (body.password ?? '').slice(0, 1024) };
      const fieldErrors: Partial<Record<SignupField, string>> = {};
      if (!values.name) fieldErrors.name = 'Enter your name.';
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) fieldErrors.email = 'Enter an email address like name@example.com.';
      if ([...values.password].length < 10) fieldErrors.password = 'Use at least 10 characters; a few unrelated words are easy to remember.';
      const again = (status: number, errs: Partial<Record<SignupField, string>>, error?: string) =>
        pages.render(request, reply, 'signup', { title: 'Create your account', status, next, values: { name: values.name, email: values.email }, errors: errs, error });
      if (Object.keys(fieldErrors).length > 0) return again(422, fieldErrors);
      try {
        await api.register(values);
        const tokens = await api.login({ email: values.email, password: values.password });
        await sessions.signIn(request, reply, tokens, await api.me({ token: tokens.accessToken }));
      } catch (error) {
        const failure = upstreamFailure(error);
        // Identity answers a registration the same whether or not the email has an account (no enumeration):
        // an existing account shows up as a sign-in that fails with the password just chosen.
        if (failure?.code === 'INVALID_CREDENTIALS') return again(422, { email: 'We could not sign you in with this password. If this email already has an account, sign in instead.' });
        if (failure?.code === 'WEAK_PASSWORD') return again(422, { password: failure.detail ?? 'Choose a stronger password.' });
        if (failure?.code === 'INVALID_NAME') return again(422, { name: failure.detail ?? 'Check your name.' });
        if (failure?.status === 400) return again(422, {}, failure.detail ?? 'Check the details and try again.');
        if (failure?.status === 429) return again(429, {}, 'Too many sign-ups from here just now. Please wait a minute.');
        throw error;
      }
      return seeOther(reply, `${next}${next.includes('?') ? '&' : '?'}notice=signed-up`);
    });

    app.post('/account/logout', { schema: { hide: true } }, async (request, reply) => {
      await sessions.signOut(request, reply);
      return seeOther(reply, '/?notice=signed-out');
    });

    app.get('/account', { schema: { hide: true } }, async (request, reply) => {
      const session = request.session;
      if (!session) return toLogin(request, reply);
      // The orders service pages the history (newest first, opaque cursor); an old or foreign cursor starts again from the newest.
      const cursor = queryText(request, 'cursor') || undefined;
      const caller = callerOf(request);
      const page = await api.orderPage(caller, { limit: ORDERS_PER_PAGE, ...(cursor ? { cursor } : {}) }).catch((error: unknown) => {
        if (cursor && upstreamFailure(error)?.status === 400) return undefined;
        throw error;
      });
      const { items: orders, nextCursor } = page ?? (await api.orderPage(caller, { limit: ORDERS_PER_PAGE }));
      return pages.render(request, reply, 'account', {
        title: 'Your account',
        user: { name: session.name, email: session.email, isAdmin: session.roles.includes('admin') },
        orders,
        cursor: page ? cursor : undefined,
        nextCursor,
      });
    });
  };
}
