#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildOrdersApp } from '../lib/orders-app';

const app = new App();
buildOrdersApp(app);
app.synth();
