import { resolvePolicy } from '@aperture/policy';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateBatchDto, CreateProjectDto } from '../http/dto';
import { validPolicy } from '../projects/projects.service';
import { ApiError } from '../errors';
import { validationDetails } from '@aperture/runtime';
import { policyDetails } from './validation';

const check = <T extends object>(type: new () => T, body: unknown) =>
  validationDetails(
    validateSync(plainToInstance(type, body), { whitelist: true, forbidNonWhitelisted: true }),
  );

describe('request body validation as {field, message} details', () => {
  it('accepts a good batch request', () => {
    expect(
      check(CreateBatchDto, {
        projectId: 'prj_1',
        idempotencyKey: 'k-1',
        declarations: { region: 'EU', consentIds: ['c1'] },
      }),
    ).toEqual([]);
  });

  it('names nested fields with a dotted path and drops the property from the message', () => {
    const details = check(CreateBatchDto, {
      idempotencyKey: 'has spaces',
      declarations: { region: 7, consentIds: [1] },
      extra: true,
    });
    const fields = details.map((detail) => detail.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'projectId',
        'idempotencyKey',
        'declarations.region',
        'declarations.consentIds',
        'extra',
      ]),
    );
    expect(
      details.filter((detail) => detail.field === 'declarations.region').map((detail) => detail.message),
    ).toContain('must be a string');
    expect(details.find((detail) => detail.field === 'extra')?.message).toBe('should not exist');
  });

  it('requires a project name', () => {
    expect(check(CreateProjectDto, { policy: {} })).toEqual(
      expect.arrayContaining([{ field: 'name', message: 'should not be empty' }]),
    );
  });
});

describe('policy validation', () => {
  it('fills the defaults of a partial policy', () => {
    expect(validPolicy({ quality: { minWidth: 640 } }).quality).toMatchObject({
      minWidth: 640,
      minHeight: 64,
    });
    expect(validPolicy(undefined).standardize.format).toBe('jpeg');
  });

  it('refuses a bad policy with every field under policy.', () => {
    let error: unknown;
    try {
      validPolicy({ quality: { minWidth: 0 }, standardize: { format: 'bmp' }, colour: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('invalid_request');
    expect((error as ApiError).details).toEqual([
      { field: 'policy.quality.minWidth', message: 'must be an integer from 1 to 100000' },
      { field: 'policy.standardize.format', message: 'must be one of jpeg, webp, png, avif' },
      { field: 'policy.colour', message: expect.stringContaining('is not a policy section') },
    ]);
  });

  it('keeps the whole-document error as "policy"', () => {
    expect(policyDetails(resolvePolicy('strict').errors)).toEqual([
      { field: 'policy', message: 'must be an object' },
    ]);
  });
});
